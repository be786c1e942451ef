// Command server is the benchmark's Jetstream stand-in: it serves one WebSocket connection as
// fast as the loopback allows, then exits.
//
// The frames are prebuilt (unmasked, unfragmented server frames, one per event) and loaded into
// memory before the listener opens, so serving costs only the handshake and large writes: the
// frames go out in 1 MiB blocks (through TLS when -cert is given), followed by a close frame
// (1000). After that it skips what the client sends until the client's close frame, then closes
// the connection; a client that just leaves, or five silent seconds, end it too.
//
// Usage: server -frames FILE [-cert PEM -key PEM] [-block BYTES] [-timeout SECONDS]
//
// Writing from memory beats sendfile(2) here: on loopback the receiver reads sendfile's page
// references more slowly (read-and-discard fell from about 5.7 to 3.4 million events/s).
//
// It listens on 127.0.0.1 on a free port and prints one line {"port":N} on stdout once ready;
// on exit it prints a second line of stats: bytes sent, the CPU time spent from accept on (so
// without loading the frames), whether the client closed, and an error if one ended the run.
package main

import (
	"bufio"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"strings"
	"syscall"
	"time"
)

// The GUID RFC 6455 §1.3 appends to the key before hashing it into Sec-WebSocket-Accept.
const websocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// A close frame with status 1000 (normal closure): FIN + opcode 0x8, length 2, no mask.
var closeFrame = []byte{0x88, 0x02, 0x03, 0xE8}

type stats struct {
	BytesSent   int64   `json:"bytes_sent"`
	ServeCPU    float64 `json:"serve_cpu_seconds"` // user + sys from accept to exit: loading excluded
	SendSeconds float64 `json:"send_seconds"`
	ClientClose bool    `json:"client_closed"`
	Error       string  `json:"error,omitempty"`
}

func main() {
	framesPath := flag.String("frames", "", "file of prebuilt server frames")
	certPath := flag.String("cert", "", "PEM certificate chain: serve TLS (wss://)")
	keyPath := flag.String("key", "", "PEM private key for -cert")
	block := flag.Int("block", 1<<20, "bytes per write")
	timeout := flag.Float64("timeout", 300, "seconds before giving up on the client")
	flag.Parse()
	if *framesPath == "" || (*certPath == "") != (*keyPath == "") || *block <= 0 {
		flag.Usage()
		os.Exit(2)
	}
	frames, err := os.ReadFile(*framesPath)
	if err != nil {
		fail(err)
	}
	var tlsConfig *tls.Config
	if *certPath != "" {
		cert, err := tls.LoadX509KeyPair(*certPath, *keyPath)
		if err != nil {
			fail(err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}}
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	fmt.Printf("{\"port\":%d}\n", listener.Addr().(*net.TCPAddr).Port)
	os.Stdout.Sync()

	deadline := time.Now().Add(time.Duration(*timeout * float64(time.Second)))
	listener.(*net.TCPListener).SetDeadline(deadline)
	raw, err := listener.Accept()
	if err != nil {
		fail(err)
	}
	cpuAtAccept := cpuSeconds()
	listener.Close()
	raw.SetDeadline(deadline)
	var conn net.Conn = raw
	if tlsConfig != nil {
		conn = tls.Server(raw, tlsConfig)
	}
	result := serve(conn, frames, *block)
	conn.Close()
	result.ServeCPU = cpuSeconds() - cpuAtAccept
	report(result)
}

// serve does the upgrade, writes every frame and the close frame, then drains the client.
func serve(conn net.Conn, frames []byte, block int) stats {
	var result stats
	reader := bufio.NewReader(conn)
	key, err := readUpgrade(reader)
	if err != nil {
		result.Error = "handshake: " + err.Error()
		return result
	}
	sum := sha1.Sum([]byte(key + websocketGUID))
	response := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + base64.StdEncoding.EncodeToString(sum[:]) + "\r\n\r\n"
	if _, err := io.WriteString(conn, response); err != nil {
		result.Error = "response: " + err.Error()
		return result
	}
	start := time.Now()
	for offset := 0; offset < len(frames); offset += block {
		end := offset + block
		if end > len(frames) {
			end = len(frames)
		}
		n, err := conn.Write(frames[offset:end])
		result.BytesSent += int64(n)
		if err != nil {
			// A client that stops after its last wanted event may leave before the end.
			result.Error = "write: " + err.Error()
			result.SendSeconds = time.Since(start).Seconds()
			return result
		}
	}
	if n, err := conn.Write(closeFrame); err == nil {
		result.BytesSent += int64(n)
	}
	result.SendSeconds = time.Since(start).Seconds()
	// Our close is sent: the client's close frame ends the handshake, and then the server
	// closes the TCP connection first (RFC 6455 §7.1.1). A client may also just leave.
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	result.ClientClose = awaitClose(reader)
	return result
}

// awaitClose skips the client's frames (masked, any opcode) until a close frame; false when
// the connection ends or fails first.
func awaitClose(reader *bufio.Reader) bool {
	var header [14]byte
	for {
		if _, err := io.ReadFull(reader, header[:2]); err != nil {
			return false
		}
		opcode := header[0] & 0x0F
		length := uint64(header[1] & 0x7F)
		extra := 0
		switch length {
		case 126:
			extra = 2
		case 127:
			extra = 8
		}
		if _, err := io.ReadFull(reader, header[2:2+extra]); err != nil {
			return false
		}
		if extra > 0 {
			length = 0
			for _, b := range header[2 : 2+extra] {
				length = length<<8 | uint64(b)
			}
		}
		if header[1]&0x80 != 0 {
			length += 4 // the masking key
		}
		if _, err := io.CopyN(io.Discard, reader, int64(length)); err != nil {
			return false
		}
		if opcode == 0x8 {
			return true
		}
	}
}

// readUpgrade reads the request head and returns its Sec-WebSocket-Key.
func readUpgrade(reader *bufio.Reader) (string, error) {
	head := textproto.NewReader(reader)
	line, err := head.ReadLine()
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(line, "GET ") {
		return "", fmt.Errorf("not a GET: %q", line)
	}
	header, err := head.ReadMIMEHeader()
	if err != nil {
		return "", err
	}
	key := header.Get("Sec-WebSocket-Key")
	if key == "" {
		return "", fmt.Errorf("no Sec-WebSocket-Key")
	}
	return key, nil
}

// report prints the stats as the second line on stdout (after the port).
func report(result stats) {
	line, _ := json.Marshal(result)
	fmt.Println(string(line))
	if result.Error != "" {
		fmt.Fprintln(os.Stderr, "server:", result.Error)
	}
}

// cpuSeconds is this process's user + system time so far.
func cpuSeconds() float64 {
	var usage syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &usage) != nil {
		return 0
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano()).Seconds()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "server:", err)
	os.Exit(1)
}
