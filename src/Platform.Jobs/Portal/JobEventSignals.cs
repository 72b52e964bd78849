using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Platform.Jobs.Queue;

namespace Platform.Jobs.Portal;

/// <summary>
/// Fans NOTIFY platform_job_events out to the web tier's open event streams: one LISTEN connection
/// per web process, however many browsers watch. A signal only says "this job has news"; the stream
/// then reads the events after the last one it sent, so a missed or merged signal loses nothing.
/// </summary>
public sealed class JobEventSignals(NpgsqlDataSource dataSource, ILogger<JobEventSignals> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<Subscription, byte>> _subscribers = new();

    public Subscription Subscribe(Guid jobId)
    {
        var subscription = new Subscription(this, jobId);
        _subscribers.GetOrAdd(jobId, _ => new()).TryAdd(subscription, 0);
        return subscription;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        new PostgresListener(dataSource, logger, "Job event listener", [QueueChannels.Events],
            (_, payload) =>
            {
                if (Guid.TryParse(payload, out var jobId))
                    Signal(jobId);
            },
            // Whatever happened while we were not listening: every stream re-reads once.
            () =>
            {
                foreach (var jobId in _subscribers.Keys)
                    Signal(jobId);
            }).RunAsync(stoppingToken);

    private void Signal(Guid jobId)
    {
        if (_subscribers.TryGetValue(jobId, out var subscriptions))
        {
            foreach (var subscription in subscriptions.Keys)
            {
                try
                {
                    subscription.Wake.Release();
                }
                catch (ObjectDisposedException)
                {
                    // The stream closed between the lookup and the signal.
                }
            }
        }
    }

    private void Remove(Subscription subscription)
    {
        if (_subscribers.TryGetValue(subscription.JobId, out var subscriptions))
            subscriptions.TryRemove(subscription, out _);
    }

    public sealed class Subscription(JobEventSignals owner, Guid jobId) : IDisposable
    {
        internal SemaphoreSlim Wake { get; } = new(0);

        public Guid JobId { get; } = jobId;

        /// <summary>Waits for news about the job, or the timeout (streams send a keep-alive then).</summary>
        public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            var woken = await Wake.WaitAsync(timeout, cancellationToken);
            // Several signals while the stream was busy are one piece of news.
            while (Wake.CurrentCount > 0 && Wake.Wait(0))
            {
            }
            return woken;
        }

        public void Dispose()
        {
            owner.Remove(this);
            Wake.Dispose();
        }
    }
}
