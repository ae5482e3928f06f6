package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// SKUs the demo stocks: one in stock, one sold out.
const (
	InStockSKU    = "demo-widget"
	SoldOutSKU    = "demo-gizmo"
	InStockAmount = 10
)

// Case is one demo order and the final status it must reach.
type Case struct {
	Name  string
	Items []Item
	Want  string
}

// Cases returns the demo orders: one that is confirmed, one out of stock,
// and one whose total is failAmountCents, which the payments service always
// declines.
func Cases(failAmountCents int64) []Case {
	return []Case{
		{Name: "happy path", Want: "confirmed", Items: []Item{{SKU: InStockSKU, Quantity: 2, UnitPriceCents: 1250}}},
		{Name: "out of stock", Want: "cancelled", Items: []Item{{SKU: SoldOutSKU, Quantity: 1, UnitPriceCents: 1999}}},
		{Name: "payment declined", Want: "cancelled", Items: []Item{{SKU: InStockSKU, Quantity: 1, UnitPriceCents: failAmountCents}}},
	}
}

// Result is the outcome of one demo order.
type Result struct {
	Case    Case
	Order   Order
	TraceID string
	Err     error
}

// ErrUnexpected is wrapped when an order ends in another state than its
// case wants, or does not end in time.
var ErrUnexpected = errors.New("demo order did not end as expected")

// Run stocks the demo SKUs, places every case's order, waits up to
// timeout for each to be final and prints one line per order to out. It
// returns the results and an error wrapping ErrUnexpected when an order
// failed or ended in another state than expected.
func Run(ctx context.Context, c *Client, cases []Case, timeout time.Duration, out io.Writer) ([]Result, error) {
	fmt.Fprintf(out, "stock: %s = %d, %s = 0\n", InStockSKU, InStockAmount, SoldOutSKU)
	if err := c.SetStock(ctx, InStockSKU, InStockAmount); err != nil {
		return nil, fmt.Errorf("setting stock: %w", err)
	}
	if err := c.SetStock(ctx, SoldOutSKU, 0); err != nil {
		return nil, fmt.Errorf("setting stock: %w", err)
	}
	results := make([]Result, len(cases))
	for i, cs := range cases {
		results[i].Case = cs
		o, tid, err := c.PlaceOrder(ctx, "EUR", cs.Items...)
		results[i].Order, results[i].TraceID, results[i].Err = o, tid, err
		if err == nil {
			fmt.Fprintf(out, "placed %-18s order %s (trace %s)\n", cs.Name+":", o.ID, tid)
		}
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for i := range results {
		r := &results[i]
		if r.Err != nil {
			continue
		}
		r.Order, r.Err = c.WaitFinal(wctx, r.Order.ID, 200*time.Millisecond)
	}
	var errs []error
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nCASE\tORDER\tSTATUS\tREASON\tTRACE ID")
	for _, r := range results {
		status := r.Order.Status
		switch {
		case r.Err != nil:
			errs = append(errs, fmt.Errorf("%w: %s: %v", ErrUnexpected, r.Case.Name, r.Err))
			status += " (error)"
		case status != r.Case.Want:
			errs = append(errs, fmt.Errorf("%w: %s: order %s is %s (%s), want %s", ErrUnexpected, r.Case.Name, r.Order.ID, status, r.Order.Reason, r.Case.Want))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Case.Name, r.Order.ID, status, dash(r.Order.Reason), r.TraceID)
	}
	tw.Flush()
	return results, errors.Join(errs...)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
