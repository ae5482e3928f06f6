-- +goose Up
CREATE TABLE notifications (
	id          uuid        PRIMARY KEY,
	order_id    uuid        NOT NULL,
	customer_id text        NOT NULL,
	kind        text        NOT NULL CHECK (kind IN ('order_confirmed', 'order_cancelled')),
	message     text        NOT NULL,
	sink        text        NOT NULL,
	created_at  timestamptz NOT NULL,
	UNIQUE (order_id, kind)
);

-- +goose Down
DROP TABLE notifications;
