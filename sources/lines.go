package sources

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// MaxLine is the longest line (or SSE field) a runner accepts: longer ones
// are skipped and counted as bad payloads, the stream goes on.
const MaxLine = 1 << 20

// ErrLineTooLong reports a line over MaxLine that was skipped.
var ErrLineTooLong = errors.New("sources: line longer than 1 MiB skipped")

// lineReader reads "\n"-terminated lines (a trailing "\r" removed) of at most
// max bytes; a longer line is consumed and reported as ErrLineTooLong, after
// which reading continues with the next line.
type lineReader struct {
	r   *bufio.Reader
	max int
	buf []byte
}

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10), max: max}
}

// next returns the next line without its terminator. The slice is valid
// until the following call. At the end of input a last unterminated line is
// returned with io.ErrUnexpectedEOF (a chunk cut in half), then io.EOF.
func (l *lineReader) next() ([]byte, error) {
	l.buf = l.buf[:0]
	tooLong := false
	for {
		chunk, err := l.r.ReadSlice('\n')
		if !tooLong {
			if len(l.buf)+len(chunk) > l.max+2 {
				tooLong = true
				l.buf = l.buf[:0]
			} else {
				l.buf = append(l.buf, chunk...)
			}
		}
		switch {
		case err == nil:
			if tooLong {
				return nil, ErrLineTooLong
			}
			line := bytes.TrimSuffix(l.buf, []byte("\n"))
			return bytes.TrimSuffix(line, []byte("\r")), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if tooLong {
				return nil, ErrLineTooLong
			}
			if len(l.buf) > 0 {
				return l.buf, io.ErrUnexpectedEOF
			}
			return nil, io.EOF
		default:
			if len(l.buf) > 0 && !tooLong {
				return l.buf, fmt.Errorf("sources: read line: %w", err)
			}
			return nil, fmt.Errorf("sources: read line: %w", err)
		}
	}
}
