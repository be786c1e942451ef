// Command gorilla is the benchmark's Go peer: a Jetstream reader with the read path of
// Jetstream's own Go client (pkg/client): gorilla/websocket's default dialer, a read deadline
// set before each ReadMessage, and for compressed streams one klauspost zstd decoder with the
// dictionary whose DecodeAll returns a new slice per message. Where that client unmarshals and
// schedules each event, this one writes the message's bytes plus "\n" to stdout through a 64 KiB
// buffer. It exits after -n messages (or when the server closes).
//
// Usage: gorilla -url ws://HOST:PORT/subscribe -n N [-cacert PEM] [-zstd-dict FILE]
package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/gorilla/websocket"
	"github.com/klauspost/compress/zstd"
)

func main() {
	url := flag.String("url", "", "ws:// or wss:// URL")
	limit := flag.Int("n", 0, "messages to read (0: until the server closes)")
	cacert := flag.String("cacert", "", "PEM file of CA certificates to trust")
	dictPath := flag.String("zstd-dict", "", "zstd dictionary: messages are compressed")
	flag.Parse()
	if *url == "" {
		flag.Usage()
		os.Exit(2)
	}

	dialer := *websocket.DefaultDialer
	if *cacert != "" {
		pem, err := os.ReadFile(*cacert)
		check(err)
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			check(fmt.Errorf("no certificate in %s", *cacert))
		}
		dialer.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	var decoder *zstd.Decoder
	if *dictPath != "" {
		dict, err := os.ReadFile(*dictPath)
		check(err)
		decoder, err = zstd.NewReader(nil, zstd.WithDecoderDicts(dict))
		check(err)
		defer decoder.Close()
	}

	conn, _, err := dialer.Dial(*url, nil)
	check(err)
	defer conn.Close()
	conn.SetReadLimit(4 << 20)

	out := bufio.NewWriterSize(os.Stdout, 64<<10)
	for count := 0; *limit == 0 || count < *limit; count++ {
		conn.SetReadDeadline(time.Now().Add(time.Minute))
		_, message, err := conn.ReadMessage()
		if err != nil {
			if websocket.IsCloseError(err, websocket.CloseNormalClosure) {
				break
			}
			out.Flush()
			check(err)
		}
		if decoder != nil {
			message, err = decoder.DecodeAll(message, nil)
			check(err)
		}
		out.Write(message)
		out.WriteByte('\n')
	}
	check(out.Flush())
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "gorilla:", err)
		os.Exit(1)
	}
}
