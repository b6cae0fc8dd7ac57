package settings

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"mime"
	"slices"
	"strings"

	"parley/internal/apperr"
)

// Format is an image format, detected from the bytes.
type Format string

// The formats SPEC §2 accepts somewhere.
const (
	JPEG Format = "jpeg"
	PNG  Format = "png"
	GIF  Format = "gif"
)

// ContentType is the media type to serve an image of this format with.
func (f Format) ContentType() string { return "image/" + string(f) }

// Image upload limits. The byte cap is checked before any decoding; the
// side cap on the header's dimensions before the pixels are decoded, so a
// small file that claims a huge canvas never allocates it.
const (
	MaxImageBytes = 256 << 10
	MaxImageSide  = 100
)

// Image keys: the dotted key of each image setting, used as the field of
// its errors and as the key of NewImage and SetImage.
const (
	KeyLogo         = "company.logo"
	KeyInviteAvatar = "leads.inviteAvatar"
)

// Allowed formats per image key (SPEC §2.1, §2.6).
var (
	LogoFormats         = []Format{JPEG, GIF, PNG}
	InviteAvatarFormats = []Format{JPEG, PNG}
)

// imageFormats maps each image key to its allowed formats.
var imageFormats = map[string][]Format{
	KeyLogo:         LogoFormats,
	KeyInviteAvatar: InviteAvatarFormats,
}

// Image is what the document records of an uploaded image; the store keeps
// the bytes, named by SHA256.
type Image struct {
	Format Format `json:"format"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Size   int    `json:"size"`
	// SHA256 (hex) of the bytes: names the stored object and versions its
	// URL, so caches never serve a replaced image.
	SHA256 string `json:"sha256"`
}

// CheckImage checks an upload and returns its format, detected from the
// bytes (never from a file name). In order: the size (at most
// MaxImageBytes, else apperr TooLarge) before anything is decoded; the
// format from the header, which must be in allowed; the declared
// contentType, which must agree with it when given (empty and
// application/octet-stream declare nothing); the header's dimensions (1 to
// MaxImageSide each) before the pixels are decoded; then a full decode to
// prove the file is not corrupt. Other errors are apperr Invalid with a
// message and no field (NewImage adds the field).
func CheckImage(body []byte, contentType string, allowed []Format) (Format, error) {
	names := formatNames(allowed)
	if len(body) == 0 {
		return "", invalid("the file is empty")
	}
	if len(body) > MaxImageBytes {
		return "", apperr.New(apperr.TooLarge, "the image is %d KB; at most %d KB is allowed", (len(body)+1023)/1024, MaxImageBytes>>10)
	}
	cfg, name, err := image.DecodeConfig(bytes.NewReader(body))
	if err != nil {
		return "", invalid("the file is not an image in a supported format (%s)", names)
	}
	f := Format(name)
	if !slices.Contains(allowed, f) {
		return "", invalid("%s images are not accepted here; use %s", strings.ToUpper(name), names)
	}
	if declared, ok := declaredFormat(contentType); !ok {
		return "", invalid("the declared type %s is not an image type", quote(contentType))
	} else if declared != "" && declared != f {
		return "", invalid("the file is a %s image but was declared as %s", strings.ToUpper(name), quote(contentType))
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxImageSide || cfg.Height > MaxImageSide {
		return "", invalid("the image is %dx%d pixels; at most %dx%d is allowed", cfg.Width, cfg.Height, MaxImageSide, MaxImageSide)
	}
	if f == GIF {
		// Every frame decodes to a full screen of pixels, and a frame can
		// take a few dozen bytes: counted from the block structure before
		// any is decoded, the frames cannot turn the byte cap into a
		// decompression bomb.
		n, err := gifFrames(body)
		if err != nil {
			return "", invalid("the image file is damaged and cannot be shown")
		}
		if n > MaxGIFFrames {
			return "", invalid("the GIF has %d frames; at most %d are allowed", n, MaxGIFFrames)
		}
	}
	if err := decodeFully(f, body); err != nil {
		return "", invalid("the image file is damaged and cannot be shown")
	}
	return f, nil
}

// MaxGIFFrames caps an animated GIF's frames: at the side cap that is at
// most 1 MB of pixels to decode, and more than any logo animates.
const MaxGIFFrames = 100

// gifFrames counts the image descriptors of a GIF by walking its blocks
// (header, screen descriptor, colour tables, extensions and image data
// sub-blocks) without decoding any pixel. Errors: a block that is unknown
// or runs past the end.
func gifFrames(b []byte) (int, error) {
	errTruncated := errors.New("gif: truncated")
	if len(b) < 13 {
		return 0, errTruncated
	}
	i := 13
	if flags := b[10]; flags&0x80 != 0 {
		i += 3 << ((flags & 7) + 1)
	}
	// skipSubBlocks steps over data sub-blocks up to their empty
	// terminator.
	skipSubBlocks := func() error {
		for {
			if i >= len(b) {
				return errTruncated
			}
			n := int(b[i])
			i++
			if n == 0 {
				return nil
			}
			i += n
		}
	}
	frames := 0
	for {
		if i >= len(b) {
			// No trailer: the decoder has the last word on whether that
			// is damage; the frames are counted either way.
			return frames, nil
		}
		switch b[i] {
		case 0x3B: // trailer
			return frames, nil
		case 0x21: // extension: its label, then sub-blocks
			i += 2
			if err := skipSubBlocks(); err != nil {
				return 0, err
			}
		case 0x2C: // image descriptor, local colour table, LZW code size, data
			if i+10 > len(b) {
				return 0, errTruncated
			}
			flags := b[i+9]
			i += 10
			if flags&0x80 != 0 {
				i += 3 << ((flags & 7) + 1)
			}
			i++ // LZW minimum code size
			if err := skipSubBlocks(); err != nil {
				return 0, err
			}
			frames++
		default:
			return 0, fmt.Errorf("gif: unknown block 0x%02x", b[i])
		}
	}
}

// NewImage checks an upload for the image key (KeyLogo or KeyInviteAvatar)
// with CheckImage and describes it for SetImage. Errors: apperr NotFound
// for an unknown key; Invalid or TooLarge with the key as the field.
func NewImage(key string, body []byte, contentType string) (Image, error) {
	allowed, ok := imageFormats[key]
	if !ok {
		return Image{}, apperr.New(apperr.NotFound, "no image setting %q", key)
	}
	f, err := CheckImage(body, contentType, allowed)
	if err != nil {
		e := apperr.Public(err)
		return Image{}, &apperr.Error{Code: e.Code, Message: e.Message, Fields: map[string]string{key: e.Message}}
	}
	// DecodeConfig cannot fail now: CheckImage has decoded the file.
	cfg, _, _ := image.DecodeConfig(bytes.NewReader(body))
	sum := sha256.Sum256(body)
	return Image{Format: f, Width: cfg.Width, Height: cfg.Height, Size: len(body), SHA256: hex.EncodeToString(sum[:])}, nil
}

// declaredFormat reads a Content-Type: ("", true) when it declares nothing,
// (format, true) for an image type, ok false for anything else.
func declaredFormat(contentType string) (Format, bool) {
	if strings.TrimSpace(contentType) == "" {
		return "", true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", false
	}
	switch mt {
	case "application/octet-stream":
		return "", true
	case "image/jpeg", "image/jpg", "image/pjpeg":
		return JPEG, true
	case "image/png", "image/x-png":
		return PNG, true
	case "image/gif":
		return GIF, true
	}
	if strings.HasPrefix(mt, "image/") {
		// Another image type (webp, svg+xml…): it disagrees with every
		// format we detect.
		return Format(strings.TrimPrefix(mt, "image/")), true
	}
	return "", false
}

// decodeFully decodes every pixel (every frame of a GIF). It is safe only
// after the header's dimensions were checked: memory is bounded by the
// side cap and, for GIF frames, by the byte cap.
func decodeFully(f Format, body []byte) error {
	r := bytes.NewReader(body)
	var err error
	switch f {
	case JPEG:
		_, err = jpeg.Decode(r)
	case PNG:
		_, err = png.Decode(r)
	case GIF:
		_, err = gif.DecodeAll(r)
	default:
		_, _, err = image.Decode(r)
	}
	return err
}

func formatNames(fs []Format) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = strings.ToUpper(string(f))
	}
	return strings.Join(names, ", ")
}
