using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Platform.Jobs.Telemetry;

/// <summary>
/// <c>platform.jobs.queue.depth</c>: active jobs by state (Queued, Running) and scheduling class (paying,
/// free; docs/decisions/0029), counted in the database at each scrape. One small query per scrape; a
/// scrape while the database is away reports nothing rather than zeros.
/// </summary>
internal sealed class QueueDepthGauge
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger<QueueDepthGauge> _logger;

    public QueueDepthGauge(IMeterFactory meters, NpgsqlDataSource dataSource, ILogger<QueueDepthGauge> logger)
    {
        _dataSource = dataSource;
        _logger = logger;
        // From the host's meter factory: each host (a test process holds several) reports its own database.
        var meter = meters.Create(JobsTelemetry.Name + ".Queue");
        meter.CreateObservableGauge("platform.jobs.queue.depth", Observe, unit: "{job}",
            description: "Active jobs by state and scheduling class");
    }

    private IEnumerable<Measurement<long>> Observe()
    {
        var measurements = new List<Measurement<long>>();
        try
        {
            using var command = _dataSource.CreateCommand("""
                SELECT j.state, CASE WHEN tenant_job_class(q.tenant_id) > 0 THEN 'paying' ELSE 'free' END, count(*)
                FROM job_queue q JOIN jobs j ON j.id = q.job_id
                GROUP BY 1, 2
                """);
            command.CommandTimeout = 2;
            using var reader = command.ExecuteReader();
            var seen = new HashSet<(string, string)>();
            while (reader.Read())
            {
                var (state, cls) = (reader.GetString(0), reader.GetString(1));
                seen.Add((state, cls));
                measurements.Add(new Measurement<long>(reader.GetInt64(2), new("state", state), new("class", cls)));
            }
            // Empty series read 0, not "no data": an alert on depth then sees the queue drain.
            foreach (var state in new[] { "Queued", "Running" })
                foreach (var cls in new[] { "paying", "free" })
                    if (!seen.Contains((state, cls)))
                        measurements.Add(new Measurement<long>(0, new("state", state), new("class", cls)));
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException or InvalidOperationException)
        {
            _logger.LogDebug("Queue depth not measured: {Message}", ex.Message);
        }
        return measurements;
    }
}
