using System.ComponentModel;
using Hangfire;

namespace Platform.Web.Accounts.Mail;

/// <summary>
/// The Hangfire job behind sign-up and account mail: processes received sign-ups, then sends the
/// outbox. Enqueued the moment there is work (a sign-up, a resend), so mail leaves within a second
/// where a Hangfire server runs; the recurring run every minute retries what failed and catches
/// anything an enqueue missed.
/// </summary>
public sealed class AccountMailJobs(SignUpRequestProcessor signUps, EmailOutbox outbox)
{
    public const string RecurringId = "accounts:mail";

    [DisplayName("Accounts: process sign-ups and send mail")]
    [AutomaticRetry(Attempts = 0)]
    public async Task<string> RunAsync(CancellationToken cancellationToken)
    {
        var created = await signUps.ProcessPendingAsync(cancellationToken);
        var sent = await outbox.SendDueAsync(cancellationToken);
        return $"{created} sign-up(s) processed, {sent} mail(s) sent";
    }

    public static void Schedule(IRecurringJobManager recurring) =>
        recurring.AddOrUpdate<AccountMailJobs>(RecurringId, j => j.RunAsync(CancellationToken.None), Cron.Minutely(),
            new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc });

    /// <summary>Asks for a run now. Never fails the caller: the minutely run does the work if this enqueue is lost.</summary>
    public static void Kick(IBackgroundJobClient client, ILogger logger)
    {
        try
        {
            client.Enqueue<AccountMailJobs>(j => j.RunAsync(CancellationToken.None));
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Could not enqueue the account mail job; the minutely run will send it");
        }
    }
}
