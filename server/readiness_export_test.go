package server

// ProbeEvery is how often, at most, readiness probes a write.
const ProbeEvery = probeEvery
