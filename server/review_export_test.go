package server

// ProbeEvery is how often, at most, readiness probes a write.
const ProbeEvery = probeEvery

// StartToken is the start token a widget page of partner's widget on
// origin and path, served now, carries.
func StartToken(s *Server, partner, widget, origin, path string) string {
	return s.sessions.startToken(partner, widget, origin, path, s.now())
}

// StartTokenWindow is how long a start token is made for.
const StartTokenWindow = startTokenWindow
