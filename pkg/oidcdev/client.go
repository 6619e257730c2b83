package oidcdev

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// ErrBadCredentials is returned by PasswordLogin when the provider refuses
// the username or password.
var ErrBadCredentials = errors.New("oidcdev: wrong username or password")

// PasswordLogin logs a user in through the real authorization code flow with
// PKCE (S256), as a browser would but without one: GET /authorize, follow to
// the login page, post the form, follow to the callback, stop at the redirect
// to redirectURI (which is not requested) and exchange the code. clientID
// must be a public client with redirectURI registered. The token's
// AccessToken is the JWT to send as a bearer token; Extra("id_token") holds
// the ID token. hc may be nil for http.DefaultClient.
func PasswordLogin(ctx context.Context, hc *http.Client, issuer, clientID, redirectURI, username, password string) (*oauth2.Token, error) {
	conf, err := discover(ctx, hc, issuer)
	if err != nil {
		return nil, fmt.Errorf("password login: %w", err)
	}
	conf.ClientID = clientID
	conf.RedirectURL = redirectURI
	conf.Scopes = []string{oidc.ScopeOpenID, "profile"}
	conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams

	verifier := oauth2.GenerateVerifier()
	code, err := authorize(ctx, hc, conf, username, password, oauth2.S256ChallengeOption(verifier))
	if err != nil {
		return nil, fmt.Errorf("password login: %w", err)
	}
	tok, err := conf.Exchange(clientContext(ctx, hc), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, fmt.Errorf("password login: exchange code: %w", err)
	}
	return tok, nil
}

// ClientCredentials gets an access token for a confidential client acting as
// itself (a relay, the NATS auth callout). hc may be nil.
func ClientCredentials(ctx context.Context, hc *http.Client, issuer, clientID, secret string, scopes ...string) (*oauth2.Token, error) {
	conf, err := discover(ctx, hc, issuer)
	if err != nil {
		return nil, fmt.Errorf("client credentials: %w", err)
	}
	cc := clientcredentials.Config{
		ClientID:     clientID,
		ClientSecret: secret,
		TokenURL:     conf.Endpoint.TokenURL,
		Scopes:       scopes,
		AuthStyle:    oauth2.AuthStyleInHeader,
	}
	tok, err := cc.Token(clientContext(ctx, hc))
	if err != nil {
		return nil, fmt.Errorf("client credentials: %w", err)
	}
	return tok, nil
}

func clientContext(ctx context.Context, hc *http.Client) context.Context {
	if hc == nil {
		return ctx
	}
	return context.WithValue(ctx, oauth2.HTTPClient, hc)
}

// discover reads the provider's endpoints, checking that it claims the
// issuer it was asked for.
func discover(ctx context.Context, hc *http.Client, issuer string) (*oauth2.Config, error) {
	if hc != nil {
		ctx = oidc.ClientContext(ctx, hc)
	}
	p, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", issuer, err)
	}
	return &oauth2.Config{Endpoint: p.Endpoint()}, nil
}

// authorize runs the browser half of the code flow and returns the code.
func authorize(ctx context.Context, hc *http.Client, conf *oauth2.Config, username, password string, opts ...oauth2.AuthCodeOption) (string, error) {
	redirect, err := url.Parse(conf.RedirectURL)
	if err != nil {
		return "", fmt.Errorf("parse redirect URI: %w", err)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	browser := *hc
	browser.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if sameEndpoint(req.URL, redirect) {
			return http.ErrUseLastResponse
		}
		if len(via) >= 10 {
			return errors.New("too many redirects")
		}
		return nil
	}
	state := base64.RawURLEncoding.EncodeToString(randomBytes(16))

	// GET /authorize; op redirects to the login page.
	resp, err := get(ctx, &browser, conf.AuthCodeURL(state, opts...))
	if err != nil {
		return "", fmt.Errorf("start authorization: %w", err)
	}
	if resp.StatusCode == http.StatusFound {
		// Straight back to the client: an error such as a missing PKCE
		// challenge.
		_, err := codeFrom(resp, state)
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("start authorization: %s", resp.Status)
	}
	loginURL := resp.Request.URL
	requestID := loginURL.Query().Get(loginRequestParam)
	if requestID == "" {
		return "", fmt.Errorf("start authorization: landed on %s, not the login page", loginURL.Redacted())
	}

	// POST the form; op redirects through its callback to the client.
	form := url.Values{loginRequestParam: {requestID}, "username": {username}, "password": {password}}
	postURL := *loginURL
	postURL.RawQuery = ""
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, postURL.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("submit login: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = do(&browser, req)
	if err != nil {
		return "", fmt.Errorf("submit login: %w", err)
	}
	switch resp.StatusCode {
	case http.StatusFound, http.StatusSeeOther:
		return codeFrom(resp, state)
	case http.StatusUnauthorized:
		return "", ErrBadCredentials
	default:
		return "", fmt.Errorf("submit login: %s", resp.Status)
	}
}

func get(ctx context.Context, c *http.Client, target string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	return do(c, req)
}

// do sends req and drains and closes the body: only status, headers and the
// final URL matter to the flow.
func do(c *http.Client, req *http.Request) (*http.Response, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return resp, nil
}

// codeFrom reads the authorization response from the redirect to the client.
func codeFrom(resp *http.Response, state string) (string, error) {
	loc, err := resp.Location()
	if err != nil {
		return "", fmt.Errorf("read authorization response: %w", err)
	}
	q := loc.Query()
	if e := q.Get("error"); e != "" {
		return "", fmt.Errorf("authorization refused: %s: %s", e, q.Get("error_description"))
	}
	if q.Get("state") != state {
		return "", errors.New("authorization response: state does not match")
	}
	code := q.Get("code")
	if code == "" {
		return "", errors.New("authorization response: no code")
	}
	return code, nil
}

func sameEndpoint(a, b *url.URL) bool {
	return a.Scheme == b.Scheme && a.Host == b.Host && a.Path == b.Path
}
