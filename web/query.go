package web

import (
	"strconv"

	"github.com/jiujinan/jiujinan/kernel"

	"github.com/labstack/echo/v4"
)

// queryIntIn reads an optional whole-number query parameter within [lo, hi],
// def when it is absent or empty. Anything else (a word, a sign, an exponent,
// a number out of range) is refused naming the parameter, never read as the
// default.
func queryIntIn(c echo.Context, name string, def, lo, hi int) (int, error) {
	s := c.QueryParam(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, kernel.Invalid(name, "must be a whole number from %d to %d", lo, hi)
	}
	return n, nil
}

// queryBool reads an optional boolean query parameter: 1 or true, 0 or false,
// false when absent or empty.
func queryBool(c echo.Context, name string) (bool, error) {
	switch c.QueryParam(name) {
	case "", "0", "false":
		return false, nil
	case "1", "true":
		return true, nil
	}
	return false, kernel.Invalid(name, "must be true or false (1 or 0)")
}
