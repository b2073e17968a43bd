package event

// The messages between the widget iframe and the loader (embed.js), sent
// with window.postMessage. They are declared here, once; public/embed.js
// mirrors them by hand and a test pins the JSON below.
//
// Every message is a JSON object with "source": "forgefit" and "v":
// Protocol, which tell our messages from any other the host page receives,
// and a "type". public/frame.js (the widget's side) and public/embed.js
// (the loader) build and read them in JavaScript; message_test.go checks
// both still speak this protocol. The loader
// accepts a message only from its own iframe's contentWindow and with the
// server's origin; the widget accepts one only from window.parent.
//
// From the widget to the loader (re-emitted as forgefit:* host events):
//
//	{"source":"forgefit","v":1,"type":"height","height":612}
//	{"source":"forgefit","v":1,"type":"ready"}
//	{"source":"forgefit","v":1,"type":"view"}
//	{"source":"forgefit","v":1,"type":"answer","question":"internal-it","option":"capable-team","index":0}
//	{"source":"forgefit","v":1,"type":"result","outcome":"co-managed","margin":0.4}
//	{"source":"forgefit","v":1,"type":"cta","cta":"book-call","outcome":"co-managed"}
//	{"source":"forgefit","v":1,"type":"error","code":"unknown_partner","message":"…"}
//
// From the loader to the widget:
//
//	{"source":"forgefit","v":1,"type":"consent","granted":true}
//	{"source":"forgefit","v":1,"type":"route","path":"/pricing"}
//
// "height" is the document's height in CSS pixels, sent whenever it
// changes, so the iframe never scrolls. "ready" means the client has
// mounted and accepts input. "cta"'s outcome is empty when no
// recommendation is on screen. "error" means the widget could not start.
// "consent" relays ForgeFit.consent(bool) for data-forgefit-consent=
// "required" embeds; "route" relays a single-page app's navigation (the new
// location.pathname, never a query string).

// Protocol is the version of the message format, the value of "v".
const Protocol = 1

// MessageType says what a message is.
type MessageType string

// The message types; see above for their JSON.
const (
	MessageHeight  MessageType = "height"  // widget → loader
	MessageReady   MessageType = "ready"   // widget → loader
	MessageView    MessageType = "view"    // widget → loader
	MessageAnswer  MessageType = "answer"  // widget → loader
	MessageResult  MessageType = "result"  // widget → loader
	MessageCTA     MessageType = "cta"     // widget → loader
	MessageError   MessageType = "error"   // widget → loader
	MessageConsent MessageType = "consent" // loader → widget
	MessageRoute   MessageType = "route"   // loader → widget
)

// Error codes of MessageError; the loader puts them in forgefit:error's
// detail and its console warning.
const (
	StartUnknownPartner = "unknown_partner"
	StartUnknownWidget  = "unknown_widget"
	StartOrigin         = "origin" // the host page is not one of the partner's origins
	StartTimeout        = "timeout"
)

// Header is what every message starts with. Decode a message into a
// Header first to learn its type.
type Header struct {
	Source string      `json:"source"` // always MessageSource
	V      int         `json:"v"`      // Protocol
	Type   MessageType `json:"type"`
}

// MessageSource is the "source" of every message of ours.
const MessageSource = "forgefit"

func header(t MessageType) Header { return Header{Source: MessageSource, V: Protocol, Type: t} }

// Ours reports whether h is a message of this protocol.
func (h Header) Ours() bool { return h.Source == MessageSource && h.V == Protocol && h.Type != "" }

// HeightMessage tells the loader the widget's height in CSS pixels.
type HeightMessage struct {
	Header
	Height int `json:"height"`
}

// NewHeight returns a HeightMessage.
func NewHeight(px int) HeightMessage { return HeightMessage{header(MessageHeight), px} }

// ReadyMessage tells the loader the widget accepts input.
type ReadyMessage struct{ Header }

// NewReady returns a ReadyMessage.
func NewReady() ReadyMessage { return ReadyMessage{header(MessageReady)} }

// ViewMessage tells the loader the widget was seen (half visible for a
// second).
type ViewMessage struct{ Header }

// NewView returns a ViewMessage.
func NewView() ViewMessage { return ViewMessage{header(MessageView)} }

// AnswerMessage tells the loader a question was answered.
type AnswerMessage struct {
	Header
	Question string `json:"question"`
	Option   string `json:"option"`
	Index    int    `json:"index"`
}

// NewAnswer returns an AnswerMessage.
func NewAnswer(question, option string, index int) AnswerMessage {
	return AnswerMessage{header(MessageAnswer), question, option, index}
}

// ResultMessage tells the loader which recommendation is shown.
type ResultMessage struct {
	Header
	Outcome Outcome `json:"outcome"`
	Margin  float64 `json:"margin"`
}

// NewResult returns a ResultMessage.
func NewResult(o Outcome, margin float64) ResultMessage {
	return ResultMessage{header(MessageResult), o, margin}
}

// CTAMessage tells the loader a call to action was clicked.
type CTAMessage struct {
	Header
	CTA     string  `json:"cta"`
	Outcome Outcome `json:"outcome"` // empty before a recommendation
}

// NewCTA returns a CTAMessage.
func NewCTA(cta string, o Outcome) CTAMessage { return CTAMessage{header(MessageCTA), cta, o} }

// ErrorMessage tells the loader the widget could not start.
type ErrorMessage struct {
	Header
	Code    string `json:"code"` // one of the Start… codes
	Message string `json:"message"`
}

// NewError returns an ErrorMessage.
func NewError(code, message string) ErrorMessage {
	return ErrorMessage{header(MessageError), code, message}
}

// ConsentMessage relays the host page's consent decision to the widget.
type ConsentMessage struct {
	Header
	Granted bool `json:"granted"`
}

// NewConsent returns a ConsentMessage.
func NewConsent(granted bool) ConsentMessage { return ConsentMessage{header(MessageConsent), granted} }

// RouteMessage relays a single-page app's navigation to the widget.
type RouteMessage struct {
	Header
	Path string `json:"path"`
}

// NewRoute returns a RouteMessage.
func NewRoute(path string) RouteMessage { return RouteMessage{header(MessageRoute), path} }
