// Package demo talks to a running platform through its gateway, the way a
// customer and an operator would: it sets stock, places orders, polls them
// to their final state and reads payments and notifications, with a W3C
// trace context on every request so each order's trace can be found.
package demo

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls the platform through the gateway.
type Client struct {
	// GatewayURL is the gateway's base URL.
	GatewayURL string
	// Token is a customer's bearer token for /orders.
	Token string
	// APIKey is an admin key for /admin/... routes.
	APIKey string
	// HTTP is the client used (default: one with a 10s timeout).
	HTTP *http.Client
}

// ErrStatus is wrapped by errors for responses with an unexpected status.
var ErrStatus = errors.New("unexpected response status")

// Item is one order line.
type Item struct {
	SKU            string `json:"sku"`
	Quantity       int    `json:"quantity"`
	UnitPriceCents int64  `json:"unit_price_cents"`
}

// Order is the orders service's view of an order.
type Order struct {
	ID       ID     `json:"id"`
	Status   string `json:"status"`
	Reason   string `json:"reason,omitempty"`
	Items    []Item `json:"items,omitempty"`
	Currency string `json:"currency,omitempty"`
}

// Stock is the inventory service's view of one SKU.
type Stock struct {
	SKU       string `json:"sku"`
	Available int    `json:"available"`
	Reserved  int    `json:"reserved"`
}

// ID is an identifier that services may encode as a JSON string or number.
type ID string

// UnmarshalJSON accepts a string or a number.
func (id *ID) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*id = ID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("id: want a string or number, got %s", b)
	}
	*id = ID(n.String())
	return nil
}

// Final reports whether an order status is final.
func Final(status string) bool { return status == "confirmed" || status == "cancelled" }

// NewTraceparent returns a W3C traceparent with fresh random trace and span
// ids, sampled, and its trace id.
func NewTraceparent() (header, traceID string) {
	var b [24]byte
	_, _ = rand.Read(b[:])
	traceID = hex.EncodeToString(b[:16])
	return "00-" + traceID + "-" + hex.EncodeToString(b[16:]) + "-01", traceID
}

// TraceIDFrom returns the trace id a response names in its traceparent
// (any spelling) or X-Trace-Id header, or "".
func TraceIDFrom(h http.Header) string {
	if tp := h.Get("Traceparent"); tp != "" {
		if parts := strings.Split(tp, "-"); len(parts) == 4 && len(parts[1]) == 32 {
			return parts[1]
		}
	}
	return h.Get("X-Trace-Id")
}

// SetStock sets the available quantity of sku.
func (c *Client) SetStock(ctx context.Context, sku string, available int) error {
	body := map[string]int{"available": available}
	_, err := c.do(ctx, http.MethodPut, "/admin/inventory/stock/"+url.PathEscape(sku), c.adminAuth, body, nil, http.StatusOK, http.StatusNoContent, http.StatusCreated)
	return err
}

// GetStock reads the stock of sku.
func (c *Client) GetStock(ctx context.Context, sku string) (Stock, error) {
	var s Stock
	_, err := c.do(ctx, http.MethodGet, "/admin/inventory/stock/"+url.PathEscape(sku), c.adminAuth, nil, &s, http.StatusOK)
	return s, err
}

// PlaceOrder places an order as the token's customer with a new trace
// context and returns the order and its trace id (the one the response
// names, else the one sent).
func (c *Client) PlaceOrder(ctx context.Context, currency string, items ...Item) (Order, string, error) {
	tp, traceID := NewTraceparent()
	var o Order
	h, err := c.do(ctx, http.MethodPost, "/orders", func(r *http.Request) {
		c.customerAuth(r)
		r.Header.Set("Traceparent", tp)
	}, map[string]any{"items": items, "currency": currency}, &o, http.StatusCreated, http.StatusOK, http.StatusAccepted)
	if err != nil {
		return o, traceID, err
	}
	if id := TraceIDFrom(h); id != "" {
		traceID = id
	}
	if o.ID == "" {
		return o, traceID, fmt.Errorf("POST /orders: the response has no id")
	}
	return o, traceID, nil
}

// GetOrder reads one of the customer's orders.
func (c *Client) GetOrder(ctx context.Context, id ID) (Order, error) {
	var o Order
	_, err := c.do(ctx, http.MethodGet, "/orders/"+url.PathEscape(string(id)), c.customerAuth, nil, &o, http.StatusOK)
	return o, err
}

// WaitFinal polls an order every interval until it is confirmed or
// cancelled, or ctx ends (then it returns the last state read and the
// context's error).
func (c *Client) WaitFinal(ctx context.Context, id ID, interval time.Duration) (Order, error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var last Order
	for {
		o, err := c.GetOrder(ctx, id)
		if err == nil {
			last = o
			if Final(o.Status) {
				return o, nil
			}
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("order %s still %q: %w", id, last.Status, ctx.Err())
		case <-t.C:
		}
	}
}

// Payment returns the payments service's record of an order as JSON.
func (c *Client) Payment(ctx context.Context, orderID ID) (map[string]any, error) {
	var p map[string]any
	_, err := c.do(ctx, http.MethodGet, "/admin/payments/payments/"+url.PathEscape(string(orderID)), c.adminAuth, nil, &p, http.StatusOK)
	return p, err
}

// Notifications returns the notifications recorded for an order.
func (c *Client) Notifications(ctx context.Context, orderID ID) ([]map[string]any, error) {
	var raw json.RawMessage
	_, err := c.do(ctx, http.MethodGet, "/admin/notifications/notifications?order_id="+url.QueryEscape(string(orderID)), c.adminAuth, nil, &raw, http.StatusOK)
	if err != nil {
		return nil, err
	}
	var list []map[string]any
	if json.Unmarshal(raw, &list) == nil {
		return list, nil
	}
	var wrapped struct {
		Notifications []map[string]any `json:"notifications"`
		Items         []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(raw, &wrapped); err != nil {
		return nil, fmt.Errorf("GET notifications: want a JSON list: %w", err)
	}
	if wrapped.Notifications != nil {
		return wrapped.Notifications, nil
	}
	return wrapped.Items, nil
}

func (c *Client) customerAuth(r *http.Request) { r.Header.Set("Authorization", "Bearer "+c.Token) }
func (c *Client) adminAuth(r *http.Request)    { r.Header.Set("X-API-Key", c.APIKey) }

func (c *Client) do(ctx context.Context, method, path string, auth func(*http.Request), in, out any, want ...int) (http.Header, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.GatewayURL, "/")+path, body)
	if err != nil {
		return nil, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	auth(req)
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	ok := false
	for _, w := range want {
		ok = ok || resp.StatusCode == w
	}
	if !ok {
		return resp.Header, fmt.Errorf("%s %s: %w %d: %s", method, path, ErrStatus, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	if out != nil && len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.Header, fmt.Errorf("%s %s: decoding the response: %w", method, path, err)
		}
	}
	return resp.Header, nil
}
