// nats-echo: the NATS baseline of mob-rpc-bench, request-reply with a queue group.
//
//	nats-echo respond URL          one echo responder in queue group "echo-workers" of "echo"
//	nats-echo request URL PAYLOAD  the requester, driven by lines on stdin (below)
//
// Both print "ready" on stdout once their subscriptions are known to the server (Flush
// returns after the server's PONG), so the bench waits for a line, not a guessed time.
// The requester then answers, one line each (the protocol node-mob's front speaks too):
//
//	latency WARMUP CALLS             -> latency_us V V ...   (one call in flight, us each)
//	throughput WINDOW WARMUP CALLS   -> calls_per_s V        (WINDOW calls in flight)
//	quit (or end of input)           -> exits
//
// and "error TEXT" when a measurement fails. Built from Debian's golang-go and
// golang-github-nats-io-go-nats-dev in GOPATH mode (bench/run.sh): nothing downloaded.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

const (
	subject = "echo"
	queue   = "echo-workers"
	// A reply later than this means something broke, as bench/measure.hpp's reply_timeout.
	replyTimeout = 10 * time.Second
)

func die(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "nats-echo: "+format+"\n", args...)
	os.Exit(1)
}

func connect(url, name string) *nats.Conn {
	// No reconnecting: the server lives exactly as long as the run, so losing it is an
	// error to report, not to ride out.
	nc, err := nats.Connect(url, nats.Name(name), nats.NoReconnect())
	if err != nil {
		die("connect %s: %v", url, err)
	}
	return nc
}

func respond(url string) {
	nc := connect(url, "mob-bench responder")
	// The handler runs on the subscription's own goroutine; Respond publishes to the
	// request's inbox through the connection's buffered writer.
	_, err := nc.QueueSubscribe(subject, queue, func(m *nats.Msg) {
		if err := m.Respond(m.Data); err != nil {
			fmt.Fprintf(os.Stderr, "nats-echo: respond: %v\n", err)
		}
	})
	if err != nil {
		die("subscribe: %v", err)
	}
	if err := nc.Flush(); err != nil {
		die("flush: %v", err)
	}
	fmt.Println("ready")
	select {} // until the bench stops us
}

// latency makes one call at a time with Request, the API a NATS user writes (one
// wildcard inbox subscription per connection, each reply handed to the waiting call).
func latency(nc *nats.Conn, payload []byte, warmup, calls int) (string, error) {
	var out strings.Builder
	out.WriteString("latency_us")
	for i := 0; i < warmup+calls; i++ {
		t0 := time.Now()
		m, err := nc.Request(subject, payload, replyTimeout)
		d := time.Since(t0)
		if err != nil {
			return "", fmt.Errorf("request %d: %v", i, err)
		}
		if !bytes.Equal(m.Data, payload) {
			return "", fmt.Errorf("request %d: a reply of %d bytes", i, len(m.Data))
		}
		if i >= warmup {
			fmt.Fprintf(&out, " %.1f", float64(d.Nanoseconds())/1000)
		}
	}
	return out.String(), nil
}

// throughput keeps `window` requests in flight: all of them publish to one inbox the
// requester reads synchronously, and each reply publishes the next request (as the
// floor's client does), so no goroutine per call and no per-call subscription.
func throughput(nc *nats.Conn, payload []byte, window, warmup, calls int) (string, error) {
	inbox := nats.NewInbox()
	sub, err := nc.SubscribeSync(inbox)
	if err != nil {
		return "", err
	}
	defer sub.Unsubscribe()
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		return "", err
	}
	if err := nc.Flush(); err != nil { // the inbox is known to the server before any reply
		return "", err
	}
	if warmup < 1 {
		warmup = 1
	}
	for i := 0; i < window; i++ {
		if err := nc.PublishRequest(subject, inbox, payload); err != nil {
			return "", err
		}
	}
	t0 := time.Now()
	for done := 0; done < warmup+calls; {
		m, err := sub.NextMsg(replyTimeout)
		if err != nil {
			return "", fmt.Errorf("reply %d: %v", done, err)
		}
		if len(m.Data) != len(payload) {
			return "", fmt.Errorf("reply %d: %d bytes", done, len(m.Data))
		}
		done++
		if done == warmup {
			t0 = time.Now()
		}
		if err := nc.PublishRequest(subject, inbox, payload); err != nil {
			return "", err
		}
	}
	elapsed := time.Since(t0)
	for i := 0; i < window; i++ { // the ones still out, unmeasured
		if _, err := sub.NextMsg(replyTimeout); err != nil {
			return "", fmt.Errorf("drain: %v", err)
		}
	}
	return fmt.Sprintf("calls_per_s %.1f", float64(calls)/elapsed.Seconds()), nil
}

func request(url string, size int) {
	nc := connect(url, "mob-bench requester")
	defer nc.Close()
	payload := bytes.Repeat([]byte{'x'}, size)
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) == 0 {
			continue
		}
		n := make([]int, len(f)-1)
		for i, s := range f[1:] {
			v, err := strconv.Atoi(s)
			if err != nil {
				die("bad command %q", in.Text())
			}
			n[i] = v
		}
		var line string
		var err error
		switch {
		case f[0] == "latency" && len(n) == 2:
			line, err = latency(nc, payload, n[0], n[1])
		case f[0] == "throughput" && len(n) == 3:
			line, err = throughput(nc, payload, n[0], n[1], n[2])
		case f[0] == "quit":
			return
		default:
			die("unknown command %q", in.Text())
		}
		if err != nil {
			line = "error " + err.Error()
		}
		fmt.Println(line)
	}
}

func main() {
	switch {
	case len(os.Args) == 3 && os.Args[1] == "respond":
		respond(os.Args[2])
	case len(os.Args) == 4 && os.Args[1] == "request":
		size, err := strconv.Atoi(os.Args[3])
		if err != nil || size < 0 {
			die("bad payload size %q", os.Args[3])
		}
		request(os.Args[2], size)
	default:
		die("usage: nats-echo respond URL | nats-echo request URL PAYLOAD")
	}
}
