package money_test

import (
	"encoding/json"
	"errors"
	"math"
	"testing"

	money "github.com/centuria/centuria/libs/shared/util-money"
)

func TestNewValidates(t *testing.T) {
	for _, tc := range []struct {
		cents    int64
		currency string
		ok       bool
	}{
		{1250, "EUR", true},
		{0, "JPY", true},
		{-1, "EUR", false},
		{1, "eur", false},
		{1, "EURO", false},
		{1, "XXZ", false},
		{1, "", false},
	} {
		_, err := money.New(tc.cents, tc.currency)
		if (err == nil) != tc.ok {
			t.Errorf("New(%d, %q) err = %v, want ok=%v", tc.cents, tc.currency, err, tc.ok)
		}
		if err != nil && !errors.Is(err, money.ErrInvalid) {
			t.Errorf("New(%d, %q) err = %v, want ErrInvalid", tc.cents, tc.currency, err)
		}
	}
}

func TestArithmetic(t *testing.T) {
	a, _ := money.New(1250, "EUR")
	b, _ := money.New(75, "EUR")
	sum, err := a.Add(b)
	if err != nil || sum.Cents != 1325 || sum.Currency != "EUR" {
		t.Fatalf("Add = %v, %v", sum, err)
	}
	if _, err := a.Add(money.Money{Cents: 1, Currency: "USD"}); !errors.Is(err, money.ErrCurrencyMismatch) {
		t.Errorf("Add across currencies: %v", err)
	}
	if _, err := (money.Money{Cents: math.MaxInt64, Currency: "EUR"}).Add(b); !errors.Is(err, money.ErrOverflow) {
		t.Errorf("Add overflow: %v", err)
	}
	p, err := a.Mul(3)
	if err != nil || p.Cents != 3750 {
		t.Fatalf("Mul = %v, %v", p, err)
	}
	if _, err := a.Mul(math.MaxInt64 / 1000); !errors.Is(err, money.ErrOverflow) {
		t.Errorf("Mul overflow: %v", err)
	}
	if _, err := a.Mul(-1); !errors.Is(err, money.ErrInvalid) {
		t.Errorf("Mul negative: %v", err)
	}
}

func TestString(t *testing.T) {
	for _, tc := range []struct {
		m    money.Money
		want string
	}{
		{money.Money{Cents: 1250, Currency: "EUR"}, "12.50 EUR"},
		{money.Money{Cents: 5, Currency: "USD"}, "0.05 USD"},
		{money.Money{Cents: 1250, Currency: "JPY"}, "1250 JPY"},
		{money.Money{Cents: 1250, Currency: "KWD"}, "1.250 KWD"},
	} {
		if got := tc.m.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

func TestJSON(t *testing.T) {
	var m money.Money
	if err := json.Unmarshal([]byte(`{"cents":1250,"currency":"EUR"}`), &m); err != nil || m.Cents != 1250 || m.Currency != "EUR" {
		t.Fatalf("decode = %v, %v", m, err)
	}
	for _, bad := range []string{`{"cents":-5,"currency":"EUR"}`, `{"cents":5,"currency":"eur"}`, `{"currency":"EUR"}`, `{"cents":5}`, `{"cents":1.5,"currency":"EUR"}`, `"12.50"`} {
		var m money.Money
		if err := json.Unmarshal([]byte(bad), &m); err == nil {
			t.Errorf("decode %s: no error", bad)
		}
	}
	b, _ := json.Marshal(money.Money{Cents: 7, Currency: "USD"})
	if string(b) != `{"cents":7,"currency":"USD"}` {
		t.Errorf("encode = %s", b)
	}
}

func FuzzUnmarshal(f *testing.F) {
	f.Add([]byte(`{"cents":1250,"currency":"EUR"}`))
	f.Add([]byte(`{"cents":-1,"currency":"EUR"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m money.Money
		if err := json.Unmarshal(b, &m); err != nil {
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("decoded %s into invalid %v: %v", b, m, err)
		}
	})
}
