package members

// Stats are the dashboard's counts.
type Stats struct {
	Active      int64 `json:"active"`
	Pending     int64 `json:"pending"`
	Paused      int64 `json:"paused"`
	Archived    int64 `json:"archived"`
	OverdueFees int64 `json:"overdue_fees"`
}

// MonthCount is how many people were members at the end of a month (for the current month:
// today). Paused members count; pending ones, who never started, do not.
type MonthCount struct {
	Month  string `json:"month"` // 2025-01
	End    Date   `json:"end"`
	Active int64  `json:"active"`
}
