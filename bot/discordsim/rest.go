package discordsim

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// reqCtx is one REST request, decoded.
type reqCtx struct {
	r      *http.Request
	route  *route
	params map[string]string
	query  url.Values
	body   []byte // JSON (payload_json for multipart)
	files  []File
	now    time.Time
	// arrived is when the request reached the server, on the wall clock.
	arrived time.Time
	in      *interaction // for callback and webhook routes
	lost    bool         // carried out, but the client is told it failed
}

func (c *reqCtx) decode(v any) *apiError {
	if len(bytes.TrimSpace(c.body)) == 0 {
		return errBadJSON()
	}
	if err := json.Unmarshal(c.body, v); err != nil {
		return errBadJSON()
	}
	return nil
}

var apiPrefix = regexp.MustCompile(`^/api/v(9|10)`)

func (sv *server) serveREST(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	path := apiPrefix.ReplaceAllString(r.URL.Path, "")
	rt, params, pathOK := match(r.Method, path)
	if rt == nil {
		e := errNotFound()
		if pathOK {
			e = newErr(http.StatusMethodNotAllowed, 0, "405: Method Not Allowed")
		}
		// Both count as invalid requests, as on Discord.
		if s := sv.worldByAuth(r.Header.Get("Authorization")); s != nil {
			s.record(r, nil, path, nil, e.status, false)
		}
		writeJSON(w, e.status, e.body())
		return
	}

	noteServed(rt)
	c := &reqCtx{r: r, route: rt, params: params, query: r.URL.Query(), arrived: arrived}
	var s *Sim
	switch rt.world {
	case byToken:
		s = sv.worldByAuth(r.Header.Get("Authorization"))
	case byInteraction:
		if in := sv.interactionByID(params["interaction_id"]); in != nil {
			c.in, s = in, in.sim
		}
	case byWebhook:
		if in := sv.interactionByToken(params["webhook_token"]); in != nil && in.appID == params["webhook_id"] {
			c.in, s = in, in.sim
		}
	case byNone:
		s = sv.worldByAuth(r.Header.Get("Authorization"))
		if s == nil {
			writeJSON(w, http.StatusOK, map[string]any{"url": sv.gatewayURL()})
			return
		}
	}
	if s == nil {
		var e *apiError
		switch rt.world {
		case byInteraction:
			e = errUnknownInteraction()
		case byWebhook:
			e = errUnknownWebhook()
		default:
			e = errUnauthorized()
		}
		writeJSON(w, e.status, e.body())
		return
	}

	c.now = s.now()
	if err := c.readBody(); err != nil {
		s.finish(w, c, nil, 0, nil, err)
		return
	}

	s.mu.Lock()
	latency := s.faults.latency
	s.mu.Unlock()
	if latency > 0 {
		time.Sleep(latency)
	}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		e := errUnauthorized()
		writeJSON(w, e.status, e.body())
		return
	}
	var (
		status int
		body   any
		aerr   *apiError
		hdr    http.Header
	)
	if aerr = s.injectLocked(); aerr == nil {
		limit := s.opts.RouteLimit
		if rt.msgRate {
			limit = s.opts.MessageLimit
		}
		res := s.rl.check(c.now, rt.tmpl, rt.bucketKey(params), limit, s.opts.RouteWindow, s.opts.GlobalLimit, rt.noGlob)
		hdr, aerr = res.headers, res.err
		if aerr == nil {
			status, body, aerr = rt.h(s, c)
			// Carried out; its response may still be lost.
			if aerr == nil {
				if lost := s.lossLocked(); lost != nil {
					c.lost = true
					hdr, body, aerr = nil, nil, lost
				}
			}
		}
	}
	s.mu.Unlock()
	s.finish(w, c, hdr, status, body, aerr)
}

// finish records the request, updates counters and writes the response.
func (s *Sim) finish(w http.ResponseWriter, c *reqCtx, hdr http.Header, status int, body any, aerr *apiError) {
	if aerr != nil {
		status = aerr.status
		body = aerr.body()
		for k, v := range aerr.headers {
			w.Header().Set(k, v)
		}
		if aerr.status >= 400 && aerr.status < 500 && aerr.code != 0 {
			s.log.Debug("discordsim: request failed", "method", c.r.Method, "route", c.route.tmpl, "status", status, "code", aerr.code)
		}
	}
	for k, v := range hdr {
		if w.Header().Get(k) == "" {
			w.Header()[k] = v
		}
	}
	s.record(c.r, c.route, apiPrefix.ReplaceAllString(c.r.URL.Path, ""), c.body, status, c.lost)
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	writeJSON(w, status, body)
}

// record keeps the request (rt is nil for a path no route matched).
func (s *Sim) record(r *http.Request, rt *route, path string, body []byte, status int, lost bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req := Request{Method: r.Method, Path: path, Query: r.URL.RawQuery, Body: body, Time: s.now(), Status: status, Lost: lost}
	if rt != nil {
		req.Route, req.Operation, req.Deprecated = rt.tmpl, rt.op, rt.deprecated
	}
	s.requests = append(s.requests, req)
	s.stats.Requests++
	if req.Deprecated {
		s.stats.Deprecated++
	}
	switch {
	case lost:
		s.stats.Lost++
	case status == http.StatusTooManyRequests:
		s.stats.RateLimited++
		s.stats.Invalid++
	case status >= 400 && status < 500:
		s.stats.Invalid++
	case status >= 500:
		s.stats.ServerErrors++
	}
}

// readBody reads JSON or multipart/form-data (payload_json + files[n]), the
// two encodings discordgo uses.
func (c *reqCtx) readBody() *apiError {
	ct := c.r.Header.Get("Content-Type")
	mt, params, _ := mime.ParseMediaType(ct)
	if mt != "multipart/form-data" {
		b, err := io.ReadAll(io.LimitReader(c.r.Body, 32<<20))
		if err != nil {
			return errBadJSON()
		}
		c.body = b
		return nil
	}
	mr := multipart.NewReader(c.r.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return errBadJSON()
		}
		data, err := io.ReadAll(io.LimitReader(p, 32<<20))
		if err != nil {
			return errBadJSON()
		}
		name := p.FormName()
		switch {
		case name == "payload_json":
			c.body = data
		case strings.HasPrefix(name, "files[") || strings.HasPrefix(name, "file"):
			c.files = append(c.files, File{Name: p.FileName(), ContentType: p.Header.Get("Content-Type"), Data: data})
		}
	}
}
