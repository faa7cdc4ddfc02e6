package activities_test

import (
	"strconv"
	"testing"

	"membership/activities"
	"membership/db/dbtest"
	"membership/notify/outbox"
)

// BenchmarkSendOutbox is Send's throughput through the outbox provider on its GORM store: the
// whole path a notice takes (claim, member, render, mark sending, keep, mark sent) on SQLite.
func BenchmarkSendOutbox(b *testing.B) {
	gdb := dbtest.SQLite(b)
	box := outbox.New(outbox.NewGormStore(gdb))
	w := newWorldOn(b, gdb, box, box)
	benchmarkSend(b, w, activities.ChannelSMS)
}

// BenchmarkSendTwilio is the same through the real twilio-go client against the local fake:
// compare with notify/twilio's own benchmark for the ledger's overhead per send.
func BenchmarkSendTwilio(b *testing.B) {
	sms, _, _ := providers()[0].sms(b)
	w := newWorld(b, sms, nil)
	benchmarkSend(b, w, activities.ChannelSMS)
}

func benchmarkSend(b *testing.B, w *world, channel string) {
	m := w.member(b, "ada", nil)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		req := request("bench:"+strconv.Itoa(i)+":member:1:"+channel, m, channel)
		if res, err := w.notices.Send(b.Context(), req); err != nil || res.Status != activities.ResultSent {
			b.Fatalf("send: %+v, %v", res, err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notices/s")
}
