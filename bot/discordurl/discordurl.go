// Package discordurl points discordgo at a Discord-compatible API and
// gateway other than discord.com: the in-process simulator in tests and
// the demo, or a REST or gateway proxy in production. Configure is the one
// place both are redirected.
//
// discordgo v0.29.0 builds every REST URL from package-level Endpoint*
// string variables that are computed once at init. The Endpoint* functions
// read those strings at call time, so reassigning the base strings here
// redirects every call. Because these are process globals, Redirect affects
// every discordgo session in the process; call it once, before opening a
// session. The gateway URL, by contrast, is per session: discordgo asks
// GET /gateway for it and keeps the answer in an unexported field, so
// Configure answers that request for the session it is given.
package discordurl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/bwmarrin/discordgo"
)

// Configure redirects a session: REST calls to apiBase (see Redirect;
// process-wide) and the gateway websocket to gatewayURL (this session
// only). Either may be "" to keep what Discord (or the API) says. Call it
// after setting dg.Client and before dg.Open.
func Configure(dg *discordgo.Session, apiBase, gatewayURL string) error {
	if apiBase != "" {
		if err := Redirect(apiBase); err != nil {
			return err
		}
	}
	if gatewayURL == "" {
		return nil
	}
	u, err := url.Parse(gatewayURL)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return fmt.Errorf("discordurl: gateway %q is not a ws:// or wss:// URL", gatewayURL)
	}
	if dg.Client == nil {
		dg.Client = &http.Client{}
	}
	next := dg.Client.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	c := *dg.Client // don't change a client the caller may share
	c.Transport = gatewayOverride{next: next, url: gatewayURL}
	dg.Client = &c
	return nil
}

// gatewayOverride answers discordgo's GET /gateway with a configured URL;
// everything else passes through.
type gatewayOverride struct {
	next http.RoundTripper
	url  string
}

func (g gatewayOverride) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/gateway") {
		body, _ := json.Marshal(map[string]string{"url": g.url})
		return &http.Response{
			StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header:  http.Header{"Content-Type": []string{"application/json"}},
			Body:    io.NopCloser(bytes.NewReader(body)),
			Request: req, ContentLength: int64(len(body)),
		}, nil
	}
	return g.next.RoundTrip(req)
}

// mu serialises writers of discordgo's globals. discordgo itself reads them
// without a lock, so Redirect must still happen before sessions are in use.
var mu sync.Mutex

var versionRE = regexp.MustCompile(`/api/v(\d+)/$`)

// Redirect makes discordgo send REST requests to apiBase, a URL such as
// "http://127.0.0.1:1234/api/v10/". A missing trailing slash is added. If
// the URL names an API version (/api/vN/), discordgo.APIVersion is set to
// it too, because discordgo appends ?v=APIVersion to the gateway URL.
//
// It mutates process-wide variables of the discordgo package.
func Redirect(apiBase string) error {
	u, err := url.Parse(apiBase)
	if err != nil {
		return fmt.Errorf("discordurl: parse %q: %w", apiBase, err)
	}
	if u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("discordurl: %q is not an absolute URL", apiBase)
	}
	base := apiBase
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}

	mu.Lock()
	defer mu.Unlock()

	// Many sessions in one process (parallel tests against the simulator)
	// redirect to the same base: rewriting the globals with the same values
	// would still race with discordgo's unlocked reads, so don't.
	if discordgo.EndpointAPI == base {
		return nil
	}

	if m := versionRE.FindStringSubmatch(base); m != nil {
		discordgo.APIVersion = m[1]
	}
	// EndpointDiscord is the site root; keep it consistent with the API
	// base so nothing still names discord.com.
	root := *u
	root.Path, root.RawQuery, root.Fragment = "/", "", ""
	if i := strings.Index(u.Path, "/api/"); i >= 0 {
		root.Path = u.Path[:i+1]
	}
	discordgo.EndpointDiscord = root.String()

	// Mirror the declarations in discordgo's endpoints.go, in order; every
	// string variable derived from EndpointAPI is listed (StringVars in the
	// test checks completeness).
	discordgo.EndpointAPI = base
	discordgo.EndpointGuilds = base + "guilds/"
	discordgo.EndpointChannels = base + "channels/"
	discordgo.EndpointUsers = base + "users/"
	discordgo.EndpointGateway = base + "gateway"
	discordgo.EndpointGatewayBot = discordgo.EndpointGateway + "/bot"
	discordgo.EndpointWebhooks = base + "webhooks/"
	discordgo.EndpointStickers = base + "stickers/"
	discordgo.EndpointStageInstances = base + "stage-instances"
	discordgo.EndpointSKUs = base + "skus"
	// discordgo really builds these two with a double slash ("/" + "/voice/").
	discordgo.EndpointVoice = base + "/voice/"
	discordgo.EndpointVoiceRegions = discordgo.EndpointVoice + "regions"
	discordgo.EndpointNitroStickersPacks = base + "/sticker-packs"
	discordgo.EndpointGuildCreate = base + "guilds"
	discordgo.EndpointApplications = base + "applications"
	discordgo.EndpointOAuth2 = base + "oauth2/"
	discordgo.EndpointOAuth2Applications = discordgo.EndpointOAuth2 + "applications"
	discordgo.EndpointOauth2 = discordgo.EndpointOAuth2
	discordgo.EndpointOauth2Applications = discordgo.EndpointOAuth2Applications
	return nil
}

// Current returns discordgo's current API base (EndpointAPI).
func Current() string {
	mu.Lock()
	defer mu.Unlock()
	return discordgo.EndpointAPI
}
