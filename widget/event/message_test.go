package event

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestMessages pins the JSON of every postMessage, which public/embed.js
// mirrors by hand: a change here must change the loader too.
func TestMessages(t *testing.T) {
	for _, tt := range []struct {
		msg  any
		want string
	}{
		{NewHeight(612), `{"source":"forgefit","v":1,"type":"height","height":612}`},
		{NewReady(), `{"source":"forgefit","v":1,"type":"ready"}`},
		{NewView(), `{"source":"forgefit","v":1,"type":"view"}`},
		{NewAnswer("internal-it", "capable-team", 0), `{"source":"forgefit","v":1,"type":"answer","question":"internal-it","option":"capable-team","index":0}`},
		{NewResult(CoManaged, 0.4), `{"source":"forgefit","v":1,"type":"result","outcome":"co-managed","margin":0.4}`},
		{NewCTA("book-call", CoManaged), `{"source":"forgefit","v":1,"type":"cta","cta":"book-call","outcome":"co-managed"}`},
		{NewCTA("book-call", ""), `{"source":"forgefit","v":1,"type":"cta","cta":"book-call","outcome":""}`},
		{NewError(StartUnknownPartner, "…"), `{"source":"forgefit","v":1,"type":"error","code":"unknown_partner","message":"…"}`},
		{NewConsent(false), `{"source":"forgefit","v":1,"type":"consent","granted":false}`},
		{NewRoute("/pricing"), `{"source":"forgefit","v":1,"type":"route","path":"/pricing"}`},
	} {
		got, err := json.Marshal(tt.msg)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tt.want {
			t.Errorf("%T:\n got %s\nwant %s", tt.msg, got, tt.want)
		}
		var h Header
		if err := json.Unmarshal(got, &h); err != nil || !h.Ours() {
			t.Errorf("%s: header %+v, %v; want one of ours", got, h, err)
		}
	}
	var h Header
	if json.Unmarshal([]byte(`{"type":"height","height":1}`), &h); h.Ours() {
		t.Error("a message without the forgefit key counts as ours")
	}
}

// TestScriptsSpeakTheProtocol checks the JavaScript halves of the protocol:
// frame.js (in the widget) builds and reads these messages and embed.js
// (the loader) does the same on the host page.
func TestScriptsSpeakTheProtocol(t *testing.T) {
	for _, f := range []struct {
		file  string
		types []MessageType
	}{
		{"../../public/frame.js", []MessageType{MessageConsent, MessageRoute}},
		{"../../public/embed.js", []MessageType{MessageHeight, MessageConsent, MessageRoute}},
	} {
		b, err := os.ReadFile(f.file)
		if err != nil {
			t.Fatal(err)
		}
		js := string(b)
		if !strings.Contains(js, `source: "forgefit", v: 1`) {
			t.Errorf("%s does not build messages as {source: \"forgefit\", v: 1, …}", f.file)
		}
		for _, typ := range f.types {
			if !strings.Contains(js, `"`+string(typ)+`"`) {
				t.Errorf("%s does not handle %q", f.file, typ)
			}
		}
	}
}
