using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Billing.Invoices;
using Platform.Billing.Stripe;
using Platform.Billing.Usage;
using Platform.Domain.Usage;

namespace Platform.Billing.Scheduling;

/// <summary>The billing scheduler's steps; each is its own Hangfire recurring job (<see cref="BillingJobs"/>).</summary>
public enum BillingStep
{
    IngestUsage,
    CloseDuePeriods,
    ReportUsageToStripe,
}

/// <summary>
/// What one step did. Ran is false when another caller held the step's lock (it did the work), or
/// when the step does not apply here (ingestion without a usage source, Stripe without keys);
/// Count is segments ingested, invoices created or meter events sent.
/// </summary>
public sealed record BillingStepResult(BillingStep Step, DateTimeOffset At, bool Ran, long Count);

/// <summary>
/// What one tick (all three steps in order) did. Ran is false when another caller held a step's lock;
/// Failures name the steps that threw (each was logged; the others still ran).
/// </summary>
public sealed record BillingTickResult(
    DateTimeOffset At,
    bool Ran,
    long SegmentsIngested,
    int InvoicesCreated,
    int StripeEventsSent,
    IReadOnlyList<string> Failures)
{
    public bool Succeeded => Ran && Failures.Count == 0;
}

/// <summary>
/// Keeps billing current without anyone pressing a button: copies closed usage segments into the
/// ledger, closes periods that have ended into invoices, and, when Stripe keys are set, sends
/// unreported ledger rows to Stripe's meters. Hangfire runs each step as a recurring job
/// (<see cref="BillingJobs"/>, docs/decisions/0024); this class holds the steps and their locks.
/// Each step runs under its own PostgreSQL advisory lock, so two runs of one step never overlap (a
/// scheduled run and an admin's "trigger now", a retry and the next occurrence, two web instances):
/// the one that gets the lock works, the other returns at once. Each command is idempotent on its
/// own, so a step cut short anywhere is simply finished by its next run or retry.
/// </summary>
public sealed class BillingScheduler(
    IServiceScopeFactory scopes,
    NpgsqlDataSource dataSource,
    TimeProvider clock,
    IOptions<BillingSchedulerOptions> options,
    IOptions<StripeOptions> stripe,
    ILogger<BillingScheduler> logger)
{
    /// <summary>The advisory locks' common prefix; a step's lock is <see cref="LockNameFor"/>, hashed to the key in SQL.</summary>
    public const string LockName = "platform-billing-scheduler";

    /// <summary>The name of a step's advisory lock, as ClosePeriodCommand names its locks (hashtextextended in SQL).</summary>
    public static string LockNameFor(BillingStep step) => $"{LockName}:{step}";

    /// <summary>The step's name in scheduler_runs and in the scheduler metrics: <c>billing:IngestUsage</c>, ...</summary>
    public static string StepNameFor(BillingStep step) => $"billing:{step}";

    /// <summary>
    /// Runs one step under its lock. Throws when the step fails (Hangfire records the failure and
    /// retries it); returns Ran = false when another caller holds the lock or the step does not apply.
    /// </summary>
    public async Task<BillingStepResult> RunStepAsync(BillingStep step, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        if (!Applies(step))
            return new BillingStepResult(step, now, false, 0);
        // A session lock on a connection held for the step: released explicitly below, and by the
        // server if this process dies, so a crashed instance never blocks the others.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        if (!await LockAsync(connection, "pg_try_advisory_lock", LockNameFor(step), cancellationToken))
        {
            logger.LogDebug("Billing step {Step}: another run holds its lock; skipping", step);
            return new BillingStepResult(step, now, false, 0);
        }
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var count = await Platform.Data.Scheduling.SchedulerRuns.RecordAsync(dataSource, StepNameFor(step),
                () => ExecuteAsync(step, scope.ServiceProvider, now, cancellationToken), cancellationToken);
            if (count > 0)
                logger.LogInformation("Billing step {Step}: {Count}", step, count);
            return new BillingStepResult(step, now, true, count);
        }
        finally
        {
            await LockAsync(connection, "pg_advisory_unlock", LockNameFor(step), CancellationToken.None);
        }
    }

    /// <summary>
    /// All three steps in order, each under its lock, a failing one logged and recorded while the
    /// others still run. Tests and tools call it to bring billing current at once.
    /// </summary>
    public async Task<BillingTickResult> TickAsync(CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        var failures = new List<string>();
        var ran = true;
        var results = new Dictionary<BillingStep, long>();
        foreach (var (step, name) in new[]
                 {
                     (BillingStep.IngestUsage, "ingest usage"),
                     (BillingStep.CloseDuePeriods, "close due periods"),
                     (BillingStep.ReportUsageToStripe, "report usage to Stripe"),
                 })
        {
            try
            {
                var result = await RunStepAsync(step, cancellationToken);
                // A step that does not apply here ran as far as this tick is concerned.
                if (!result.Ran && Applies(step))
                    ran = false;
                results[step] = result.Count;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                logger.LogError(e, "Billing scheduler: {Step} failed", name);
                failures.Add($"{name}: {e.Message}");
            }
        }
        return new BillingTickResult(now, ran, results.GetValueOrDefault(BillingStep.IngestUsage),
            (int)results.GetValueOrDefault(BillingStep.CloseDuePeriods), (int)results.GetValueOrDefault(BillingStep.ReportUsageToStripe), failures);
    }

    private bool Applies(BillingStep step) => step switch
    {
        BillingStep.IngestUsage => HasUsageSource(),
        BillingStep.ReportUsageToStripe => stripe.Value.Enabled,
        _ => true,
    };

    private bool HasUsageSource()
    {
        using var scope = scopes.CreateScope();
        return scope.ServiceProvider.GetService<IUsageSource>() is not null;
    }

    private async Task<long> ExecuteAsync(BillingStep step, IServiceProvider services, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        return step switch
        {
            // The window ends a day ahead: segments end at the database's clock, which may run ahead of ours.
            BillingStep.IngestUsage => await services.GetRequiredService<IngestUsageCommand>()
                .ExecuteAsync(now - settings.IngestLookback, now.AddDays(1), cancellationToken: cancellationToken),
            BillingStep.CloseDuePeriods => await services.GetRequiredService<CloseDuePeriodsCommand>().ExecuteAsync(cancellationToken),
            BillingStep.ReportUsageToStripe => await services.GetRequiredService<ReportUsageToStripeCommand>()
                .ExecuteAsync(settings.StripeBatchSize, cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(step), step, null),
        };
    }

    private static async Task<bool> LockAsync(NpgsqlConnection connection, string function, string name, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT {function}(hashtextextended($1, 0))", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }
}
