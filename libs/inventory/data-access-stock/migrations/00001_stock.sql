-- +goose Up
CREATE TABLE stock (
	sku        text        PRIMARY KEY,
	available  bigint      NOT NULL CHECK (available >= 0),
	reserved   bigint      NOT NULL DEFAULT 0 CHECK (reserved >= 0),
	updated_at timestamptz NOT NULL
);

-- One row per order inventory has decided on: reserved (all items held),
-- rejected (nothing held) or released (held, then given back).
CREATE TABLE reservations (
	order_id    uuid        PRIMARY KEY,
	status      text        NOT NULL CHECK (status IN ('pending', 'reserved', 'rejected', 'released')),
	created_at  timestamptz NOT NULL,
	released_at timestamptz
);

CREATE TABLE reservation_items (
	order_id uuid   NOT NULL REFERENCES reservations (order_id) ON DELETE CASCADE,
	sku      text   NOT NULL,
	quantity bigint NOT NULL CHECK (quantity > 0),
	PRIMARY KEY (order_id, sku)
);

-- +goose Down
DROP TABLE reservation_items;
DROP TABLE reservations;
DROP TABLE stock;
