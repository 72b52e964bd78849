using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Platform.Jobs.Telemetry;

/// <summary>
/// <c>platform.jobs.queue.depth</c>: active jobs by state (Queued, Running) and scheduling class (paying,
/// free; docs/decisions/0029), counted in the database at each scrape.
/// </summary>
/// <remarks>
/// A scrape waits for the count at most <see cref="WaitAtMost"/>: a database that is slow or away would
/// otherwise hold every scrape for the connection's timeout (15 s), and with it the process's other
/// meters. A count that finishes late is kept for the next scrape; one older than <see cref="KeptFor"/>
/// is not reported at all, so a scrape while the database is away reports nothing rather than stale
/// numbers or zeros.
/// </remarks>
internal sealed class QueueDepthGauge
{
    internal static readonly TimeSpan WaitAtMost = TimeSpan.FromSeconds(1);
    internal static readonly TimeSpan KeptFor = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CountAtMost = TimeSpan.FromSeconds(5);

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _clock;
    private readonly ILogger<QueueDepthGauge> _logger;
    private readonly Lock _gate = new();
    private Task? _counting;
    private (DateTimeOffset At, Measurement<long>[] Values)? _last;

    public QueueDepthGauge(IMeterFactory meters, NpgsqlDataSource dataSource, TimeProvider clock, ILogger<QueueDepthGauge> logger)
    {
        _dataSource = dataSource;
        _clock = clock;
        _logger = logger;
        // From the host's meter factory: each host (a test process holds several) reports its own database.
        var meter = meters.Create(JobsTelemetry.Name + ".Queue");
        meter.CreateObservableGauge("platform.jobs.queue.depth", Observe, unit: "{job}",
            description: "Active jobs by state and scheduling class");
    }

    private IEnumerable<Measurement<long>> Observe()
    {
        Task counting;
        lock (_gate)
            counting = _counting is { IsCompleted: false } running ? running : _counting = Task.Run(CountAsync);
        counting.Wait(WaitAtMost);
        var last = _last;
        return last is { } kept && _clock.GetUtcNow() - kept.At <= KeptFor ? kept.Values : [];
    }

    private async Task CountAsync()
    {
        using var timeout = new CancellationTokenSource(CountAtMost);
        try
        {
            await using var command = _dataSource.CreateCommand("""
                SELECT j.state, CASE WHEN tenant_job_class(q.tenant_id) > 0 THEN 'paying' ELSE 'free' END, count(*)
                FROM job_queue q JOIN jobs j ON j.id = q.job_id
                GROUP BY 1, 2
                """);
            await using var reader = await command.ExecuteReaderAsync(timeout.Token);
            var counts = new Dictionary<(string State, string Class), long>();
            // Empty series read 0, not "no data": an alert on depth then sees the queue drain.
            foreach (var state in new[] { "Queued", "Running" })
                foreach (var cls in new[] { "paying", "free" })
                    counts[(state, cls)] = 0;
            while (await reader.ReadAsync(timeout.Token))
                counts[(reader.GetString(0), reader.GetString(1))] = reader.GetInt64(2);
            _last = (_clock.GetUtcNow(), counts.Select(c => new Measurement<long>(c.Value, new("state", c.Key.State), new("class", c.Key.Class))).ToArray());
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException or InvalidOperationException or OperationCanceledException)
        {
            _logger.LogDebug("Queue depth not measured: {Message}", ex.Message);
        }
        catch (Exception ex)
        {
            // Nothing may escape to the scrape: one failing callback fails the whole collection, every
            // other meter of the process with it.
            _logger.LogWarning(ex, "Queue depth not measured");
        }
    }
}
