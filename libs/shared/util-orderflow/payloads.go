package orderflow

import (
	"fmt"
	"regexp"

	money "github.com/centuria/centuria/libs/shared/util-money"
	"github.com/google/uuid"
)

// Limits shared by the HTTP APIs and the payload checks.
const (
	// MaxItems is the most lines one order may have.
	MaxItems = 100
	// MaxQuantity is the most units of one line.
	MaxQuantity = 1_000_000
	// MaxSKULen is the longest SKU.
	MaxSKULen = 64
)

var skuRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidateSKU checks a stock keeping unit: 1-64 letters, digits, '.', '_'
// or '-', starting with a letter or digit.
func ValidateSKU(sku string) error {
	if !skuRE.MatchString(sku) {
		return fmt.Errorf("%q must be 1-%d letters, digits, '.', '_' or '-' starting with a letter or digit", sku, MaxSKULen)
	}
	return nil
}

// Item is one order line.
type Item struct {
	SKU            string `json:"sku"`
	Quantity       int64  `json:"quantity"`
	UnitPriceCents int64  `json:"unit_price_cents"`
}

// Validate names the first bad field of the item at index i.
func (it Item) Validate(i int) error {
	if err := ValidateSKU(it.SKU); err != nil {
		return fieldErr(fmt.Sprintf("items[%d].sku", i), "%v", err)
	}
	if it.Quantity < 1 || it.Quantity > MaxQuantity {
		return fieldErr(fmt.Sprintf("items[%d].quantity", i), "%d not in 1..%d", it.Quantity, MaxQuantity)
	}
	if it.UnitPriceCents < 0 {
		return fieldErr(fmt.Sprintf("items[%d].unit_price_cents", i), "%d is negative", it.UnitPriceCents)
	}
	return nil
}

// ValidateItems checks 1..MaxItems valid items with distinct SKUs.
func ValidateItems(items []Item) error {
	if len(items) == 0 || len(items) > MaxItems {
		return fieldErr("items", "%d items, want 1..%d", len(items), MaxItems)
	}
	seen := make(map[string]bool, len(items))
	for i, it := range items {
		if err := it.Validate(i); err != nil {
			return err
		}
		if seen[it.SKU] {
			return fieldErr(fmt.Sprintf("items[%d].sku", i), "%q appears twice; combine the lines", it.SKU)
		}
		seen[it.SKU] = true
	}
	return nil
}

// Total returns the sum of quantity × unit price in currency, wrapping
// money.ErrOverflow when it does not fit.
func Total(items []Item, currency string) (money.Money, error) {
	total, err := money.New(0, currency)
	if err != nil {
		return money.Money{}, err
	}
	for i, it := range items {
		line, err := (money.Money{Cents: it.UnitPriceCents, Currency: currency}).Mul(it.Quantity)
		if err == nil {
			total, err = total.Add(line)
		}
		if err != nil {
			return money.Money{}, fmt.Errorf("items[%d]: %w", i, err)
		}
	}
	return total, nil
}

func validateOrderID(id string) error {
	if _, err := uuid.Parse(id); err != nil {
		return fieldErr("order_id", "%q is not a UUID", id)
	}
	return nil
}

// OrderPlaced is emitted by orders when a customer places an order.
type OrderPlaced struct {
	OrderID    string      `json:"order_id"`
	CustomerID string      `json:"customer_id"`
	Items      []Item      `json:"items"`
	Total      money.Money `json:"total"`
}

// Validate names the first bad field.
func (e OrderPlaced) Validate() error {
	if err := validateOrderID(e.OrderID); err != nil {
		return err
	}
	if e.CustomerID == "" {
		return fieldErr("customer_id", "required")
	}
	if err := ValidateItems(e.Items); err != nil {
		return err
	}
	return validateTotal(e.Items, e.Total)
}

func validateTotal(items []Item, total money.Money) error {
	if err := total.Validate(); err != nil {
		return fieldErr("total", "%v", err)
	}
	want, err := Total(items, total.Currency)
	if err != nil {
		return fieldErr("items", "%v", err)
	}
	if want != total {
		return fieldErr("total", "%v is not the sum of the items (%v)", total, want)
	}
	return nil
}

// StockReserved is emitted by inventory once every item of an order is
// reserved; it carries what payments needs to charge.
type StockReserved struct {
	OrderID    string      `json:"order_id"`
	CustomerID string      `json:"customer_id"`
	Items      []Item      `json:"items"`
	Total      money.Money `json:"total"`
}

// Validate names the first bad field.
func (e StockReserved) Validate() error {
	return OrderPlaced(e).Validate()
}

// Shortage is one item inventory could not reserve.
type Shortage struct {
	SKU       string `json:"sku"`
	Requested int64  `json:"requested"`
	Available int64  `json:"available"`
}

// StockRejected is emitted by inventory when an order's items cannot all be
// reserved; nothing is reserved then.
type StockRejected struct {
	OrderID   string     `json:"order_id"`
	Shortages []Shortage `json:"shortages"`
}

// Validate names the first bad field.
func (e StockRejected) Validate() error {
	if err := validateOrderID(e.OrderID); err != nil {
		return err
	}
	if len(e.Shortages) == 0 {
		return fieldErr("shortages", "at least one required")
	}
	return nil
}

// StockReleased is emitted by inventory when a payment failure released an
// order's reservation.
type StockReleased struct {
	OrderID string `json:"order_id"`
	Items   []Item `json:"items"`
}

// Validate names the first bad field.
func (e StockReleased) Validate() error {
	return validateOrderID(e.OrderID)
}

// PaymentCaptured is emitted by payments when the provider captured the
// order's total.
type PaymentCaptured struct {
	OrderID   string      `json:"order_id"`
	PaymentID string      `json:"payment_id"`
	Amount    money.Money `json:"amount"`
}

// Validate names the first bad field.
func (e PaymentCaptured) Validate() error {
	if err := validateOrderID(e.OrderID); err != nil {
		return err
	}
	if e.PaymentID == "" {
		return fieldErr("payment_id", "required")
	}
	if err := e.Amount.Validate(); err != nil {
		return fieldErr("amount", "%v", err)
	}
	return nil
}

// PaymentFailed is emitted by payments when the provider declined.
type PaymentFailed struct {
	OrderID   string      `json:"order_id"`
	PaymentID string      `json:"payment_id"`
	Amount    money.Money `json:"amount"`
	Reason    string      `json:"reason"`
}

// Validate names the first bad field.
func (e PaymentFailed) Validate() error {
	if err := (PaymentCaptured{OrderID: e.OrderID, PaymentID: e.PaymentID, Amount: e.Amount}).Validate(); err != nil {
		return err
	}
	if e.Reason == "" {
		return fieldErr("reason", "required")
	}
	return nil
}

// OrderConfirmed is emitted by orders once the payment is captured.
type OrderConfirmed struct {
	OrderID    string      `json:"order_id"`
	CustomerID string      `json:"customer_id"`
	Total      money.Money `json:"total"`
}

// Validate names the first bad field.
func (e OrderConfirmed) Validate() error {
	if err := validateOrderID(e.OrderID); err != nil {
		return err
	}
	if e.CustomerID == "" {
		return fieldErr("customer_id", "required")
	}
	if err := e.Total.Validate(); err != nil {
		return fieldErr("total", "%v", err)
	}
	return nil
}

// OrderCancelled is emitted by orders when stock or payment failed.
type OrderCancelled struct {
	OrderID    string `json:"order_id"`
	CustomerID string `json:"customer_id"`
	// Reason is ReasonOutOfStock or ReasonPaymentFailed.
	Reason string `json:"reason"`
	// Detail explains the reason for people (shortages, the provider's
	// answer).
	Detail string `json:"detail,omitempty"`
}

// Validate names the first bad field.
func (e OrderCancelled) Validate() error {
	if err := validateOrderID(e.OrderID); err != nil {
		return err
	}
	if e.CustomerID == "" {
		return fieldErr("customer_id", "required")
	}
	if e.Reason != ReasonOutOfStock && e.Reason != ReasonPaymentFailed {
		return fieldErr("reason", "%q is not %s or %s", e.Reason, ReasonOutOfStock, ReasonPaymentFailed)
	}
	return nil
}
