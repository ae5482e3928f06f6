// Package orderflow is the contract between the reference services: the
// event types and payloads of the order flow, and the JetStream streams and
// subjects that carry them.
//
//	orders        order.placed      → inventory
//	inventory     stock.reserved    → payments
//	inventory     stock.rejected    → orders (cancel)
//	payments      payment.captured  → orders (confirm)
//	payments      payment.failed    → orders (cancel), inventory (release)
//	inventory     stock.released    (after a release; informational)
//	orders        order.confirmed   → notifications
//	orders        order.cancelled   → notifications
//
// Every payload has a Validate method; a consumer treats a payload that does
// not decode or validate as a permanent error, so it is dead-lettered.
package orderflow

// Aggregate types: the second token of each event's subject.
const (
	AggregateOrder   = "order"
	AggregateStock   = "stock"
	AggregatePayment = "payment"
)

// Event types (the CloudEvents ce-type of each message).
const (
	TypeOrderPlaced     = "order.placed"
	TypeOrderConfirmed  = "order.confirmed"
	TypeOrderCancelled  = "order.cancelled"
	TypeStockReserved   = "stock.reserved"
	TypeStockRejected   = "stock.rejected"
	TypeStockReleased   = "stock.released"
	TypePaymentCaptured = "payment.captured"
	TypePaymentFailed   = "payment.failed"
)

// Cancellation reasons carried by OrderCancelled.
const (
	ReasonOutOfStock    = "out_of_stock"
	ReasonPaymentFailed = "payment_failed"
)
