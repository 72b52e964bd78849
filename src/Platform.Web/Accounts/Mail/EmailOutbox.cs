using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Data;

namespace Platform.Web.Accounts.Mail;

public sealed record OutboxMessage(Guid Id, string To, string Subject, string Body, string? Link);

/// <summary>
/// The outbox of account mail: a message is a row written in the transaction of what it tells about
/// (an account created, a token issued), so a mail is never sent for something rolled back, nor lost
/// for something committed. <see cref="SendDueAsync"/> sends what is due, retrying with back-off.
/// </summary>
public sealed class EmailOutbox(NpgsqlDataSource dataSource, MailSender sender, IOptions<MailOptions> options, TimeProvider time,
    ILogger<EmailOutbox> logger)
{
    /// <summary>Adds a message in <paramref name="db"/>'s current transaction.</summary>
    public async Task AddAsync(PlatformDbContext db, string to, string subject, string body, string? link, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO email_outbox (id, to_address, subject, body, link, created_at, next_attempt_at)
            VALUES ({Guid.CreateVersion7()}, {to}, {subject}, {body}, {link}, {now}, {now})
            """, cancellationToken);
    }

    /// <summary>
    /// Sends the messages that are due, a batch at a time. Rows are locked while sent (SKIP LOCKED), so
    /// two runs at once never send one message twice. Returns how many were sent.
    /// </summary>
    public async Task<int> SendDueAsync(CancellationToken cancellationToken)
    {
        var sent = 0;
        while (true)
        {
            var batch = await SendBatchAsync(cancellationToken);
            sent += batch.Sent;
            if (batch.Claimed < BatchSize)
                return sent;
        }
    }

    private const int BatchSize = 20;

    private async Task<(int Claimed, int Sent)> SendBatchAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var due = new List<OutboxMessage>();
        await using (var select = new NpgsqlCommand("""
            SELECT id, to_address, subject, body, link FROM email_outbox
            WHERE sent_at IS NULL AND next_attempt_at <= $1 AND attempts < $2
            ORDER BY next_attempt_at
            LIMIT $3
            FOR UPDATE SKIP LOCKED
            """, connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
            select.Parameters.Add(new NpgsqlParameter { Value = options.Value.MaxAttempts });
            select.Parameters.Add(new NpgsqlParameter { Value = BatchSize });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                due.Add(new OutboxMessage(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4)));
        }
        var sent = 0;
        foreach (var message in due)
        {
            string? error = null;
            try
            {
                await sender.SendAsync(message, cancellationToken);
                sent++;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                error = ex.Message;
                logger.LogWarning(ex, "Mail {Id} to {To} not sent; it is retried", message.Id, message.To);
            }
            await using var update = new NpgsqlCommand(error is null
                ? "UPDATE email_outbox SET sent_at = $2, attempts = attempts + 1, last_error = NULL WHERE id = $1"
                // Back-off: 1, 2, 4 ... minutes, at most an hour.
                : "UPDATE email_outbox SET attempts = attempts + 1, last_error = $3, next_attempt_at = $2 + least(interval '1 minute' * power(2, attempts), interval '1 hour') WHERE id = $1",
                connection, transaction);
            update.Parameters.Add(new NpgsqlParameter { Value = message.Id });
            update.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
            if (error is not null)
                update.Parameters.Add(new NpgsqlParameter { Value = error.Length > 2000 ? error[..2000] : error });
            await update.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return (due.Count, sent);
    }
}
