// Package metrics exports the monitor's counters in Prometheus's exposition
// format (--metrics-addr, GET /metrics).  Every family is named
// ebpf_log_monitor_*; README lists them.
//
// Two kinds of value, two ways in:
//   - counts of what flows through the pipeline (events, alerts, reloads)
//     are counters incremented by the event loop as it goes, a few
//     nanoseconds each (the children are looked up once per label set);
//   - state that the event loop owns (losses, the process table) is
//     published as a Snapshot once a second and read by the scrape, so a
//     scrape never touches the loop's data; what the sinks own (queued
//     bytes, drops) is read live through Sinks, which must be safe to call
//     from any goroutine.
package metrics

import (
	"net/http"
	"sort"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const ns = "ebpf_log_monitor"

// Snapshot is the event loop's state at one moment.
type Snapshot struct {
	Lost                map[string]uint64 // by stage; see README
	ProcessTableEntries int
	ContainersKnown     int
}

// Sink is one output's queue and losses.
type Sink struct {
	Name        string
	QueuedBytes int64
	Dropped     uint64 // records (lines) dropped
}

// Set is the registry and the event loop's handles on it.  Its methods
// other than Handler are for the event loop alone; a nil *Set does nothing.
type Set struct {
	reg     *prometheus.Registry
	events  *prometheus.CounterVec
	alerts  *prometheus.CounterVec
	reloads *prometheus.CounterVec
	hooks   *prometheus.GaugeVec
	byEvent map[string]prometheus.Counter
	byAlert map[[2]string]prometheus.Counter
	snap    atomic.Pointer[Snapshot]
	sinks   atomic.Pointer[func() []Sink]
}

// New registers every family; version and kernel label build_info.
func New(version, kernel string) *Set {
	s := &Set{
		reg: prometheus.NewRegistry(),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "events_total",
			Help: "Records produced, by event name (exec, open, connect, ...), before --severity and --events filter what is printed.",
		}, []string{"event"}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "alerts_total",
			Help: "Rule matches, by rule and severity; a repeat folded into a later summary counts too.",
		}, []string{"rule", "severity"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "policy_reloads_total",
			Help: "Policy reloads (SIGHUP), by result: ok, or refused (the running policy stayed).",
		}, []string{"result"}),
		hooks: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Name: "hooks",
			Help: "1 for each BPF hook, by hook name and status: attached, or unavailable on this kernel.",
		}, []string{"hook", "status"}),
		byEvent: map[string]prometheus.Counter{},
		byAlert: map[[2]string]prometheus.Counter{},
	}
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: ns, Name: "build_info",
		Help: "1, labelled with the monitor's version and the running kernel's release.",
	}, []string{"version", "kernel"})
	build.WithLabelValues(version, kernel).Set(1)
	// reloads are known by name before the first one, so a rate works
	s.reloads.WithLabelValues("ok")
	s.reloads.WithLabelValues("refused")
	s.reg.MustRegister(s.events, s.alerts, s.reloads, s.hooks, build, (*loopCollector)(s),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return s
}

// Handler serves the exposition format.
func (s *Set) Handler() http.Handler {
	return promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{Registry: s.reg})
}

// Event counts one record of the named event.
func (s *Set) Event(name string) {
	if s == nil {
		return
	}
	c, ok := s.byEvent[name]
	if !ok {
		c = s.events.WithLabelValues(name)
		s.byEvent[name] = c
	}
	c.Inc()
}

// Alert counts one match of rule at severity.
func (s *Set) Alert(rule, severity string) {
	if s == nil {
		return
	}
	k := [2]string{rule, severity}
	c, ok := s.byAlert[k]
	if !ok {
		c = s.alerts.WithLabelValues(rule, severity)
		s.byAlert[k] = c
	}
	c.Inc()
}

// Reload counts a policy reload: ok or refused.
func (s *Set) Reload(ok bool) {
	if s == nil {
		return
	}
	if ok {
		s.reloads.WithLabelValues("ok").Inc()
	} else {
		s.reloads.WithLabelValues("refused").Inc()
	}
}

// Hook sets a hook's status; the other status of the same hook goes to 0.
func (s *Set) Hook(name string, attached bool) {
	if s == nil {
		return
	}
	on, off := "attached", "unavailable"
	if !attached {
		on, off = off, on
	}
	s.hooks.WithLabelValues(name, on).Set(1)
	s.hooks.WithLabelValues(name, off).Set(0)
}

// Publish replaces the event loop's snapshot.
func (s *Set) Publish(snap *Snapshot) {
	if s == nil {
		return
	}
	s.snap.Store(snap)
}

// Sinks sets where the outputs' queues and drops are read at each scrape.
func (s *Set) Sinks(f func() []Sink) {
	if s == nil {
		return
	}
	s.sinks.Store(&f)
}

var (
	descLost = prometheus.NewDesc(ns+"_lost_events_total",
		"Events lost, by the stage that lost them, named as the stats record's monitor.lost: kernel_* (in the BPF programs), perf_buffer, queue, decode_errors.",
		[]string{"stage"}, nil)
	descTable = prometheus.NewDesc(ns+"_process_table_entries",
		"Processes in the monitor's process table (ancestry and identity).", nil, nil)
	descContainers = prometheus.NewDesc(ns+"_containers",
		"Containers (cgroups with a runtime's id) the monitor knows.", nil, nil)
	descQueue = prometheus.NewDesc(ns+"_output_queue_bytes",
		"Bytes formatted and waiting to be written, by sink.", []string{"sink"}, nil)
	descDropped = prometheus.NewDesc(ns+"_output_dropped_total",
		"Records a sink dropped because it could not keep up or stayed down past its queue's bound.",
		[]string{"sink"}, nil)
)

// loopCollector reads the published snapshot and the sinks.
type loopCollector Set

func (c *loopCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descLost
	ch <- descTable
	ch <- descContainers
	ch <- descQueue
	ch <- descDropped
}

func (c *loopCollector) Collect(ch chan<- prometheus.Metric) {
	if snap := c.snap.Load(); snap != nil {
		stages := make([]string, 0, len(snap.Lost))
		for k := range snap.Lost {
			stages = append(stages, k)
		}
		sort.Strings(stages)
		for _, k := range stages {
			ch <- prometheus.MustNewConstMetric(descLost, prometheus.CounterValue, float64(snap.Lost[k]), k)
		}
		ch <- prometheus.MustNewConstMetric(descTable, prometheus.GaugeValue, float64(snap.ProcessTableEntries))
		ch <- prometheus.MustNewConstMetric(descContainers, prometheus.GaugeValue, float64(snap.ContainersKnown))
	}
	if f := c.sinks.Load(); f != nil {
		for _, sk := range (*f)() {
			ch <- prometheus.MustNewConstMetric(descQueue, prometheus.GaugeValue, float64(sk.QueuedBytes), sk.Name)
			ch <- prometheus.MustNewConstMetric(descDropped, prometheus.CounterValue, float64(sk.Dropped), sk.Name)
		}
	}
}
