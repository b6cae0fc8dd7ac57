package gateway

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// API Gateway takes a client message of up to 128 KB sent in frames of at
// most 32 KB each, and closes the connection with 1009 when one frame is
// larger. The WebSocket library assembles frames into messages and shows
// only those, so the gateway reads the client's bytes through frameWatch,
// which parses each frame header on the way in and stops the stream at the
// header of a frame over the limit, before any of its payload reaches the
// library: such a frame never becomes a message a function sees.

// errFrameTooBig ends the library's reads after a frame over maxFrameBytes.
var errFrameTooBig = errors.New("gateway: frame over 32 KB")

// watchWriter is the handshake's ResponseWriter with a Hijack that hands
// the library the connection wrapped in a frameWatch.
type watchWriter struct {
	http.ResponseWriter
	watch *frameWatch
}

func (w *watchWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	// Bytes the server read past the handshake come first; the library
	// reads them from brw, so brw reads through the watch too.
	buffered, _ := brw.Reader.Peek(brw.Reader.Buffered())
	w.watch.Conn = nc
	w.watch.src = io.MultiReader(bytes.NewReader(bytes.Clone(buffered)), nc)
	brw.Reader.Reset(w.watch)
	return w.watch, brw, nil
}

// frameWatch is a client connection whose incoming frame headers are
// parsed as they are read (RFC 6455 §5.2).
type frameWatch struct {
	net.Conn
	src io.Reader

	hdr     [14]byte // the header being read
	hn      int      // its bytes so far
	need    int      // its full length, once the second byte is known
	payload uint64   // payload bytes of the current frame still to pass
	tooBig  atomic.Bool
}

// Close drains what the client is still sending after a frame over the
// limit, for up to a second, before closing: a socket closed with unread
// bytes makes the kernel answer with a reset, which can reach the client
// before the 1009 close frame it was sent, and API Gateway's client sees
// the close frame.
func (f *frameWatch) Close() error {
	if f.tooBig.Load() {
		_ = f.Conn.SetReadDeadline(time.Now().Add(time.Second))
		_, _ = io.Copy(io.Discard, io.LimitReader(f.src, 1<<20))
	}
	return f.Conn.Close()
}

func (f *frameWatch) Read(p []byte) (int, error) {
	if f.tooBig.Load() {
		return 0, errFrameTooBig
	}
	n, err := f.src.Read(p)
	if i := f.scan(p[:n]); i >= 0 {
		// Pass the big frame's header, so the library is inside that
		// frame, but none of its payload.
		f.tooBig.Store(true)
		return i, nil
	}
	return n, err
}

// scan follows the frames through b; it returns the offset just past the
// header of a data frame over maxFrameBytes, or -1.
func (f *frameWatch) scan(b []byte) int {
	for i := 0; i < len(b); {
		if f.payload > 0 {
			skip := min(f.payload, uint64(len(b)-i))
			f.payload -= skip
			i += int(skip)
			continue
		}
		f.hdr[f.hn] = b[i]
		f.hn++
		i++
		if f.hn == 2 {
			f.need = 2 + 4*int(f.hdr[1]>>7) // client frames carry a mask key
			switch f.hdr[1] & 0x7f {
			case 126:
				f.need += 2
			case 127:
				f.need += 8
			}
		}
		if f.hn < 2 || f.hn < f.need {
			continue
		}
		length := uint64(f.hdr[1] & 0x7f)
		switch length {
		case 126:
			length = uint64(binary.BigEndian.Uint16(f.hdr[2:4]))
		case 127:
			length = binary.BigEndian.Uint64(f.hdr[2:10])
		}
		f.hn, f.need = 0, 0
		// Opcodes 0-2 are continuation, text and binary: data frames.
		// Control frames (at most 125 bytes) the library checks itself.
		if f.hdr[0]&0x0f <= 2 && length > maxFrameBytes {
			return i
		}
		f.payload = length
	}
	return -1
}
