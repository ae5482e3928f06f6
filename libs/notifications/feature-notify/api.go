package notify

import (
	"net/http"
	"time"

	notificationstore "github.com/centuria/centuria/libs/notifications/data-access-notifications"
	"github.com/centuria/centuria/libs/shared/util-httpjson"
)

// Mux registers handlers; *http.ServeMux and the service chassis satisfy it.
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// NotificationJSON is a notification as the API returns it.
type NotificationJSON struct {
	ID         string    `json:"id"`
	OrderID    string    `json:"order_id"`
	CustomerID string    `json:"customer_id"`
	Kind       string    `json:"kind"`
	Message    string    `json:"message"`
	Sink       string    `json:"sink"`
	CreatedAt  time.Time `json:"created_at"`
}

// ListJSON is the body of GET /notifications.
type ListJSON struct {
	Notifications []NotificationJSON `json:"notifications"`
}

// ParseOrderID reads the required order_id query parameter (a UUID).
// Errors are *httpjson.FieldError naming order_id.
func ParseOrderID(query map[string][]string) (string, error) {
	v := query["order_id"]
	switch {
	case len(v) == 0 || v[0] == "":
		return "", httpjson.Invalid("order_id", "query parameter required")
	case len(v) > 1:
		return "", httpjson.Invalid("order_id", "given %d times", len(v))
	}
	return httpjson.UUID("order_id", v[0])
}

// Register adds GET /notifications?order_id=ID, reading from db, to mux.
// An order without notifications lists none.
func Register(mux Mux, db notificationstore.DBTX) {
	mux.Handle("GET /notifications", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := ParseOrderID(r.URL.Query())
		if err != nil {
			httpjson.Error(w, err)
			return
		}
		list, err := notificationstore.ListByOrder(r.Context(), db, id)
		if err != nil {
			httpjson.Error(w, err)
			return
		}
		out := ListJSON{Notifications: make([]NotificationJSON, len(list))}
		for i, n := range list {
			out.Notifications[i] = NotificationJSON{ID: n.ID, OrderID: n.OrderID, CustomerID: n.CustomerID,
				Kind: string(n.Kind), Message: n.Message, Sink: n.Sink, CreatedAt: n.CreatedAt}
		}
		httpjson.Write(w, http.StatusOK, out)
	}))
}
