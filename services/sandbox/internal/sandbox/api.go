package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// API calls a casework or coordinator JSON API as one user. The sandbox
// seeds cases with it, and the end-to-end test drives the corridor with it:
// both go through the same public API a partner's system would.
type API struct {
	HTTP  *http.Client
	Base  string // "http://127.0.0.1:8080"
	Token string // bearer access token
}

// Problem is an RFC 9457 problem document returned with a status of 400 or
// more.
type Problem struct {
	Status int
	Type   string `json:"type"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
	Body string // the raw body, when it was not a problem document
}

func (p *Problem) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "status %d", p.Status)
	if p.Title != "" {
		fmt.Fprintf(&b, ": %s", p.Title)
	}
	if p.Detail != "" {
		fmt.Fprintf(&b, ": %s", p.Detail)
	}
	for _, e := range p.Errors {
		fmt.Fprintf(&b, "; %s: %s", e.Field, e.Message)
	}
	if p.Title == "" && p.Body != "" {
		fmt.Fprintf(&b, ": %.300s", p.Body)
	}
	return b.String()
}

// Referral is what casework returns for a referral; Raw keeps every field.
type Referral struct {
	ID      string           `json:"id"`
	CaseRef string           `json:"case_ref"`
	Status  string           `json:"status"`
	History []map[string]any `json:"history"`
	Raw     map[string]any   `json:"-"`
}

// Timeline is the coordinator's view of a case.
type Timeline struct {
	CaseRef  string      `json:"case_ref"`
	Timeline []Milestone `json:"timeline"`
}

// Milestone is one entry of a timeline, with the PII-free facts the
// coordinator monitors.
type Milestone struct {
	Milestone          string `json:"milestone"`
	Member             string `json:"member"`
	At                 string `json:"at"`
	ReferralID         string `json:"referral_id"`
	PreviousReferralID string `json:"previous_referral_id"`
	ServiceType        string `json:"service_type"`
	AtHome             string `json:"at_home"`
	InSchool           string `json:"in_school"`
	StillWorking       string `json:"still_working"`
	AtRisk             string `json:"at_risk"`
	ClosureReason      string `json:"closure_reason"`
}

// Do sends a JSON request and decodes a 2xx response into out (when not
// nil). Other statuses return a *Problem.
func (a API) Do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.Base+path, rd)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.Token != "" {
		req.Header.Set("Authorization", "Bearer "+a.Token)
	}
	hc := a.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read response: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		p := &Problem{Status: resp.StatusCode}
		if json.Unmarshal(b, p) != nil || p.Title == "" {
			p.Body = string(b)
		}
		return fmt.Errorf("%s %s: %w", method, path, p)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: decode response: %w", method, path, err)
	}
	return nil
}

func (a API) referral(ctx context.Context, method, path string, body any) (Referral, error) {
	var raw map[string]any
	if err := a.Do(ctx, method, path, body, &raw); err != nil {
		return Referral{}, err
	}
	return decodeReferral(raw)
}

func decodeReferral(raw map[string]any) (Referral, error) {
	b, err := json.Marshal(raw)
	if err != nil {
		return Referral{}, fmt.Errorf("decode referral: %w", err)
	}
	var r Referral
	if err := json.Unmarshal(b, &r); err != nil {
		return Referral{}, fmt.Errorf("decode referral: %w", err)
	}
	r.Raw = raw
	return r, nil
}

// FileReferral creates and sends a referral (POST /api/v1/referrals).
func (a API) FileReferral(ctx context.Context, doc any) (Referral, error) {
	return a.referral(ctx, http.MethodPost, "/api/v1/referrals", doc)
}

// Referral returns one referral with its history.
func (a API) Referral(ctx context.Context, id string) (Referral, error) {
	return a.referral(ctx, http.MethodGet, "/api/v1/referrals/"+url.PathEscape(id), nil)
}

// Referrals lists the referrals of a direction ("incoming", "outgoing").
func (a API) Referrals(ctx context.Context, direction string) ([]Referral, error) {
	var list struct {
		Items []map[string]any `json:"items"`
	}
	if err := a.Do(ctx, http.MethodGet, "/api/v1/referrals?direction="+url.QueryEscape(direction), nil, &list); err != nil {
		return nil, err
	}
	out := make([]Referral, 0, len(list.Items))
	for _, raw := range list.Items {
		r, err := decodeReferral(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Accept accepts an incoming referral.
func (a API) Accept(ctx context.Context, id string) error {
	return a.Do(ctx, http.MethodPost, "/api/v1/referrals/"+url.PathEscape(id)+"/accept", nil, nil)
}

// Decline declines an incoming referral with a reason.
func (a API) Decline(ctx context.Context, id, reason string) error {
	return a.Do(ctx, http.MethodPost, "/api/v1/referrals/"+url.PathEscape(id)+"/decline",
		map[string]string{"reason": reason}, nil)
}

// Timeline returns the coordinator's timeline of a case.
func (a API) Timeline(ctx context.Context, caseRef string) (Timeline, error) {
	var t Timeline
	err := a.Do(ctx, http.MethodGet, "/api/v1/cases/"+url.PathEscape(caseRef), nil, &t)
	return t, err
}
