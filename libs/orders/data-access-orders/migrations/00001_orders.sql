-- +goose Up
CREATE TABLE orders (
	id          uuid        PRIMARY KEY,
	customer_id text        NOT NULL,
	status      text        NOT NULL CHECK (status IN ('pending', 'confirmed', 'cancelled')),
	reason      text        NOT NULL DEFAULT '',
	detail      text        NOT NULL DEFAULT '',
	currency    text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
	total_cents bigint      NOT NULL CHECK (total_cents >= 0),
	created_at  timestamptz NOT NULL,
	updated_at  timestamptz NOT NULL
);
CREATE INDEX orders_by_customer ON orders (customer_id, created_at DESC, id DESC);

CREATE TABLE order_items (
	order_id         uuid   NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
	line             int    NOT NULL,
	sku              text   NOT NULL,
	quantity         bigint NOT NULL CHECK (quantity > 0),
	unit_price_cents bigint NOT NULL CHECK (unit_price_cents >= 0),
	PRIMARY KEY (order_id, line)
);

-- +goose Down
DROP TABLE order_items;
DROP TABLE orders;
