package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/microsoft/durabletask-go/task"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"membership/taskhub"
)

// Metrics is the Prometheus registry /metrics serves: a registry of our own, never the
// global one, so that two servers in one process (tests) do not share figures. cmd makes one,
// times the activities with it (Activity), lets other parts add their collectors (Register,
// RegisterCounts) and hands it to the server in Deps; the server adds HTTP latency by route
// and the task hub's instances by name and status.
type Metrics struct {
	reg        *prometheus.Registry
	activities *prometheus.HistogramVec
	failures   *prometheus.CounterVec
	requests   *prometheus.HistogramVec
}

// NewMetrics makes a registry with the Go runtime's and the process's collectors and the
// activity and HTTP metrics.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		activities: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "membership_activity_duration_seconds",
			Help:    "How long workflow activities ran, by activity and outcome (completed or failed).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"activity", "outcome"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "membership_activity_failures_total",
			Help: "Workflow activity runs that failed (each retry counts), by activity.",
		}, []string{"activity"}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "membership_http_request_duration_seconds",
			Help:    "HTTP request latency by method, route pattern and status code.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route", "status"}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.activities, m.failures, m.requests,
	)
	return m
}

// Register adds a collector of another part of the app.
func (m *Metrics) Register(c prometheus.Collector) error {
	if err := m.reg.Register(c); err != nil {
		return fmt.Errorf("register metrics collector: %w", err)
	}
	return nil
}

// Count is one labelled figure of a RegisterCounts gauge; Labels follow its label names.
type Count struct {
	Labels []string
	Value  float64
}

// RegisterCounts adds a gauge whose figures read is asked for at every scrape: counts that
// live in a store, such as notices by provider and status (label names "provider",
// "status"). A failing read fails only this gauge; the other metrics are still served.
func (m *Metrics) RegisterCounts(name, help string, labels []string, read func(ctx context.Context) ([]Count, error)) error {
	return m.Register(&countsCollector{desc: prometheus.NewDesc(name, help, labels, nil), read: read})
}

// countsCollector is a gauge read from a store at scrape time.
type countsCollector struct {
	desc *prometheus.Desc
	read func(ctx context.Context) ([]Count, error)
}

// scrapeTimeout bounds a store read during a scrape; Prometheus's own timeout is 10 s.
const scrapeTimeout = 5 * time.Second

func (c *countsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *countsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	counts, err := c.read(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for _, n := range counts {
		m, err := prometheus.NewConstMetric(c.desc, prometheus.GaugeValue, n.Value, n.Labels...)
		if err != nil {
			m = prometheus.NewInvalidMetric(c.desc, err)
		}
		ch <- m
	}
}

// Activity wraps a workflow activity so that each run is timed and each failure (an error or
// a panic, which the engine turns into a failure) is counted under name.
func (m *Metrics) Activity(name string, a task.Activity) task.Activity {
	return func(ctx task.ActivityContext) (result any, err error) {
		start := time.Now()
		outcome := "failed"
		defer func() {
			m.activities.WithLabelValues(name, outcome).Observe(time.Since(start).Seconds())
			if outcome == "failed" {
				m.failures.WithLabelValues(name).Inc()
			}
		}()
		result, err = a(ctx)
		if err == nil {
			outcome = "completed"
		}
		return result, err
	}
}

// AddActivity registers an activity in r under name, timed by m.
func (m *Metrics) AddActivity(r *task.TaskRegistry, name string, a task.Activity) error {
	return r.AddActivityN(name, m.Activity(name, a))
}

// observeRequests times every request by its route pattern (not its path, which would make a
// series per member or instance id).
func (m *Metrics) observeRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		status := c.Response().Status
		if err != nil {
			// The error handler has not written the answer yet; this is the status it will.
			status, _ = statusOf(err)
			var pe *ProblemError
			if errors.As(err, &pe) {
				status = pe.Problem.Status
			}
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		m.requests.WithLabelValues(c.Request().Method, route, strconv.Itoa(status)).Observe(time.Since(start).Seconds())
		return err
	}
}

// handler serves the registry in Prometheus's text format.
func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// metricsRoutes serves /metrics to any API token (admin or trainer, as a Bearer header,
// x-functions-key or code): the figures tell how busy the club is, so they are not public.
// They also start the timing of every request and, with a task hub, the gauge of instances by
// name and status, counted at each scrape.
func (s *Server) metricsRoutes(routeGroups) {
	s.e.Use(s.metrics.observeRequests)
	if s.hub != nil {
		if err := s.registerInstanceCounts(); err != nil {
			s.log.Error("metrics without workflow instances", slog.Any("error", err))
		}
	}
	s.e.GET("/metrics", echo.WrapHandler(s.metrics.handler()), s.requireToken)
}

// registerInstanceCounts adds membership_workflow_instances{name, status}.
func (s *Server) registerInstanceCounts() error {
	x, err := s.hub.Instances()
	if err != nil {
		return err
	}
	return s.metrics.RegisterCounts("membership_workflow_instances", "Workflow instances in the task hub by orchestrator name and runtime status.",
		[]string{"name", "status"}, func(ctx context.Context) ([]Count, error) {
			counts, err := x.Counts(ctx)
			if err != nil {
				return nil, err
			}
			out := make([]Count, len(counts))
			for i, c := range counts {
				out[i] = Count{Labels: []string{c.Name, taskhub.StatusName(c.Status)}, Value: float64(c.N)}
			}
			return out, nil
		})
}
