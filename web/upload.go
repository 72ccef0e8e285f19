package web

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jiujinan/jiujinan/matching/record"
)

// streamedUploads are the page forms whose upload is streamed by the
// handler (spoolUpload), never parsed by Go's multipart form parser; the
// CSRF check reads their token from the stream.
var streamedUploads = map[string]bool{"/verify/imports": true, "/staff/reconcile": true}

// uploadReaderKey holds the multipart reader of an upload whose form fields
// before the file the CSRF check has read already.
const uploadReaderKey = "upload_multipart"

// errNoUploadFile is an upload without the multipart field "file".
var errNoUploadFile = errors.New("no file in the multipart field \"file\"")

// multipartOf returns the upload's multipart reader, streamed: Go's
// ParseMultipartForm would write a large file to a plaintext temporary
// file.
func multipartOf(c echo.Context) (*multipart.Reader, error) {
	if mr, ok := c.Get(uploadReaderKey).(*multipart.Reader); ok {
		return mr, nil
	}
	mr, err := c.Request().MultipartReader()
	if err != nil {
		return nil, err
	}
	c.Set(uploadReaderKey, mr)
	return mr, nil
}

// uploadCSRFToken reads the "_csrf" form field of an upload, which the form
// sends before its file; it stops at the first file.
func uploadCSRFToken(c echo.Context) string {
	mr, err := multipartOf(c)
	if err != nil {
		return ""
	}
	for {
		p, err := mr.NextPart()
		if err != nil || p.FileName() != "" {
			return ""
		}
		if p.FormName() == "_csrf" {
			b, _ := io.ReadAll(io.LimitReader(p, 256))
			return string(b)
		}
	}
}

// uploadFile returns the multipart field "file" of the request, to be read
// as a stream, and its file name. errNoUploadFile when there is no such
// field; reading it past the limit is an *http.MaxBytesError.
func uploadFile(c echo.Context) (io.Reader, string, error) {
	mr, err := multipartOf(c)
	if err != nil {
		return nil, "", err
	}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, "", errNoUploadFile
		}
		if err != nil {
			return nil, "", err
		}
		if p.FormName() != "file" || p.FileName() == "" {
			continue
		}
		return p, p.FileName(), nil
	}
}

// spoolUpload copies the multipart field "file" of the request into a
// temporary sealed spool (record.NewTempSpool), ready to be read from its
// start. The caller closes it.
func spoolUpload(c echo.Context) (*record.Spool, string, error) {
	r, name, err := uploadFile(c)
	if err != nil {
		return nil, "", err
	}
	sp, err := record.NewTempSpool()
	if err != nil {
		return nil, "", err
	}
	if _, err := io.Copy(sp, r); err != nil {
		sp.Close()
		return nil, "", err
	}
	if err := sp.Finish(); err != nil {
		sp.Close()
		return nil, "", err
	}
	return sp, name, nil
}

// isTooLarge reports whether err is an upload above the limit.
func isTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}
