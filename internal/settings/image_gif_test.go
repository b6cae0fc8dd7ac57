package settings

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"strings"
	"testing"

	"parley/internal/apperr"
)

// animatedGIF is a w x h GIF of n frames, each with a local colour table
// and a delay (a graphic control extension), as animations are written.
func animatedGIF(t testing.TB, w, h, n int) []byte {
	t.Helper()
	anim := &gif.GIF{}
	for i := range n {
		frame := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.Black, color.White, color.RGBA{R: uint8(i), A: 255}})
		frame.SetColorIndex(i%w, 0, 2)
		anim.Image = append(anim.Image, frame)
		anim.Delay = append(anim.Delay, 5)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, anim); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestGIFFrames(t *testing.T) {
	for _, n := range []int{1, 3, MaxGIFFrames, MaxGIFFrames + 1} {
		body := animatedGIF(t, 10, 10, n)
		if got, err := gifFrames(body); err != nil || got != n {
			t.Errorf("%d frames: counted %d, %v", n, got, err)
		}
		_, err := CheckImage(body, "image/gif", LogoFormats)
		switch {
		case n <= MaxGIFFrames && err != nil:
			t.Errorf("%d frames refused: %v", n, err)
		case n > MaxGIFFrames && (apperr.CodeOf(err) != apperr.Invalid || !strings.Contains(apperr.Public(err).Message, "frames")):
			t.Errorf("%d frames: %v, want invalid naming the frames", n, err)
		}
	}
	// Cut short inside a frame's data: damaged, whatever the decoder says.
	body := animatedGIF(t, 10, 10, 2)
	if _, err := gifFrames(body[:len(body)-4]); err == nil {
		t.Error("a GIF cut inside its data was counted")
	}
	if _, err := gifFrames([]byte("GIF89a")); err == nil {
		t.Error("a bare header was counted")
	}
}

// FuzzGIFFrames: the frame counter never panics, and wherever the decoder
// reads a GIF the counter agrees with it on the number of frames.
func FuzzGIFFrames(f *testing.F) {
	f.Add(animatedGIF(f, 4, 4, 3))
	f.Add(animatedGIF(f, 1, 1, 1))
	f.Add([]byte("GIF89a\x01\x00\x01\x00\x80\x00\x00"))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := gifFrames(body)
		g, derr := gif.DecodeAll(bytes.NewReader(body))
		if derr == nil && (err != nil || n != len(g.Image)) {
			t.Fatalf("the decoder read %d frames, the counter %d (%v)", len(g.Image), n, err)
		}
	})
}
