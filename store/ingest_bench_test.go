package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboardhq/switchboard/conversation"
	"github.com/switchboardhq/switchboard/db/dbtest"
	"github.com/switchboardhq/switchboard/store"
)

// BenchmarkMessageIngest is the hot path's write alone: 64 concurrent
// writers, each sending to conversations of its own (256 in all, so
// writers rarely wait on one conversation's row lock), one MessageSend
// statement per message with the signal rule deciding. Every third
// message is the bot's, so turns change and part of the messages write an
// outbox row, as in a conversation people have. It reports msg/s and the
// p50/p99 of one send.
//
//	go test ./store -run '^$' -bench MessageIngest -benchtime 20000x
func BenchmarkMessageIngest(b *testing.B) {
	ctx := context.Background()
	url, drop, err := dbtest.New(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer drop()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = 64
	p, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	s := store.New(p)
	ws, err := s.CreateWorkspace(ctx, "ingest")
	if err != nil {
		b.Fatal(err)
	}
	const writers, convs = 64, 256
	type target struct {
		conv    store.Conversation
		visitor store.Visitor
	}
	targets := make([]target, convs)
	for i := range targets {
		v, err := s.CreateVisitor(ctx, ws.ID)
		if err != nil {
			b.Fatal(err)
		}
		st, err := s.StartConversation(ctx, store.NewConversation{WorkspaceID: ws.ID, VisitorID: v.ID, Subject: "ingest"})
		if err != nil {
			b.Fatal(err)
		}
		targets[i] = target{st.Conversation, v}
	}
	body := fmt.Sprintf("%0100d", 0)
	var next atomic.Int64
	durations := make([][]time.Duration, writers)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				t := targets[(int(i)%writers)*convs/writers+int(i/writers)%(convs/writers)]
				m := store.NewMessage{WorkspaceID: ws.ID, ConversationID: t.conv.ID, SenderType: conversation.SenderVisitor, SenderID: &t.visitor.ID, Body: body}
				if i%3 == 2 {
					m.SenderType, m.SenderID = conversation.SenderBot, nil
				}
				t0 := time.Now()
				if _, err := s.SendMessage(ctx, m); err != nil {
					b.Error(err)
					return
				}
				durations[w] = append(durations[w], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	var all []time.Duration
	for _, d := range durations {
		all = append(all, d...)
	}
	reportPercentiles(b, all)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msg/s")
}
