-- +goose Up
CREATE TABLE payments (
	id           uuid        PRIMARY KEY,
	order_id     uuid        NOT NULL UNIQUE,
	status       text        NOT NULL CHECK (status IN ('captured', 'failed')),
	amount_cents bigint      NOT NULL CHECK (amount_cents >= 0),
	currency     text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
	reason       text        NOT NULL DEFAULT '',
	provider_ref text        NOT NULL DEFAULT '',
	created_at   timestamptz NOT NULL
);

-- +goose Down
DROP TABLE payments;
