package web

import (
	"context"
	"errors"
	"fmt"

	"github.com/jiujinan/jiujinan/kernel"
)

// Tables name needs by their public title, not their public id. The titles
// of a page are read in one query (Browse.Titles); a need that is not public
// has none and is shown as need_generic_title. Nothing here decides whether
// a need may be named beside an organization: a table that withholds a need
// (a fund's books outside its region) has no id to look up.

// needTitles are the public titles of a page's needs, by public id.
type needTitles map[string]string

// needTitles reads the public titles of the needs with these ids (blank and
// repeated ids are fine).
func (s *Server) needTitles(ctx context.Context, ids []string) (needTitles, error) {
	seen := make(map[string]bool, len(ids))
	uniq := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	if s.Browse == nil || len(uniq) == 0 {
		return needTitles{}, nil
	}
	t, err := s.Browse.Titles(ctx, uniq)
	if err != nil {
		return nil, fmt.Errorf("need titles: %w", err)
	}
	return t, nil
}

// sourceNames reads the names of the funds and projects with these public
// ids, one read per distinct id: a donor's page names a handful.
func (s *Server) sourceNames(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	for _, id := range ids {
		if _, done := out[id]; done || id == "" {
			continue
		}
		src, err := s.Funds.Store.Source(ctx, id)
		switch {
		case err == nil:
			out[id] = src.Name
		case errors.Is(err, kernel.ErrNotFound):
			out[id] = ""
		default:
			return nil, fmt.Errorf("source names: %w", err)
		}
	}
	return out, nil
}

// SourceName is the name of fund or project id, or the id when unknown.
func (p *page) SourceName(names map[string]string, id string) string {
	if n := names[id]; n != "" {
		return n
	}
	return id
}

// NeedTitle is the public title of need id, or a generic 一户求助家庭 when
// the need is not public.
func (p *page) NeedTitle(titles needTitles, id string) string {
	if t := titles[id]; t != "" {
		return t
	}
	return p.T("need_generic_title")
}
