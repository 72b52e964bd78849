using System.Text.Json;
using Microsoft.Extensions.Logging;
using Npgsql;
using Platform.Data.Artifacts;
using Platform.Data.Artifacts.Encryption;
using Platform.Data.Audit;
using Platform.Data.Tenants;
using Platform.Domain.Common;

namespace Platform.Jobs.Privacy;

/// <summary>
/// What an erasure removed: rows per table, files, whether a tombstone row was kept for invoices, the user
/// accounts deleted (members of no other organisation), and what each cleanup outside the database did.
/// </summary>
public sealed record ErasureSummary(Guid ErasureId, IReadOnlyDictionary<string, int> Rows, int StoredFiles, int InvoicesKept, bool TombstoneKept,
    IReadOnlyList<Guid>? AccountsDeleted = null, IReadOnlyList<string>? Cleanups = null);

/// <summary>
/// Erases an organisation: every dataset, job (events, loss curve, metering), model, checkpoint,
/// private base model, API key, invitation, membership, subscription and data key goes, rows and files,
/// and so do the user accounts of its members that belong to no other organisation (platform staff keep
/// theirs), and, through the registered <see cref="ITenantErasureCleanup"/>s, its Stripe customer.
/// Invoices and credit notes stay, as the law requires, with the buyer's name copied onto them; the
/// tenant row stays as a tombstone (status Erased) only when there are invoices to reference it. The
/// erasure is recorded in tenant_erasures. Rows go in one transaction, which also deletes the data keys:
/// from its commit no copy of the tenant's encrypted files anywhere (a backup included) can be read, and
/// the files themselves are then deleted.
/// </summary>
public sealed class EraseTenantCommand(
    NpgsqlDataSource dataSource,
    ICurrentTenant current,
    IArtifactStore store,
    TenantKeyRing keys,
    TenantFolders folders,
    TimeProvider clock,
    ILogger<EraseTenantCommand> logger,
    AuditTrail audit,
    IEnumerable<ITenantErasureCleanup>? cleanups = null)
{
    /// <summary>Tables deleted in this order (children first); any other table with a tenant_id column goes after them.</summary>
    internal static readonly string[] Tables =
    [
        "webhook_deliveries", "webhooks", "notification_reads", "notifications",
        "job_loss_points", "job_events", "usage_segments", "gang_ranks", "job_queue", "jobs",
        "usage_ledger", "usage_hourly_totals",
        "dataset_files", "datasets",
        "api_keys", "invitations", "tenant_memberships",
        "base_model_imports", "base_models",
        "tenant_job_limits", "tenant_quota_overrides", "subscription_plan_changes", "subscriptions",
        "tenant_data_keys",
    ];

    /// <summary>
    /// What erasure keeps: the invoices and credit notes (and their lines), the record of the erasure, and
    /// the audit log, with the personal data in it redacted (docs/decisions/0033).
    /// </summary>
    internal static readonly string[] Retained = ["invoices", "credit_notes", "tenant_erasures", "audit_log"];

    /// <param name="confirmName">The organisation's name typed by the person erasing it: a slip of the mouse erases nothing.</param>
    public async Task<Result<ErasureSummary>> ExecuteAsync(Guid tenantId, string confirmName, CancellationToken cancellationToken = default)
    {
        var access = await PrivacyAccess.RequireAsync(dataSource, current, tenantId, cancellationToken);
        if (!access.IsSuccess)
            return Result<ErasureSummary>.From(access);

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        string name;
        await using (var tenant = new NpgsqlCommand("SELECT name FROM tenants WHERE id = $1 AND status <> 'Erased' FOR UPDATE", connection, transaction))
        {
            tenant.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            if (await tenant.ExecuteScalarAsync(cancellationToken) is not string found)
                return Result<ErasureSummary>.NotFound("The organisation does not exist.");
            name = found;
        }
        if (!string.Equals(confirmName.Trim(), name, StringComparison.Ordinal))
            return Result<ErasureSummary>.BadRequest($"Type the organisation's name exactly ({name}) to erase it.");
        await using (var active = new NpgsqlCommand(
            "SELECT count(*) FROM jobs WHERE tenant_id = $1 AND state IN ('Queued', 'Running')", connection, transaction))
        {
            active.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            if ((long)(await active.ExecuteScalarAsync(cancellationToken))! is var count and > 0)
                return Result<ErasureSummary>.Conflict($"{count} job(s) are queued or running: cancel them (or wait for them to finish) first.");
        }

        // Read before the rows go: the imports' work folders and the plain folders of private base models not yet
        // moved into the store (stored ones go with the tenant's store, their listing with the other rows).
        var catalogFolders = new List<string>();
        await using (var paths = new NpgsqlCommand(
            "SELECT path FROM base_models WHERE tenant_id = $1 AND path IS NOT NULL UNION ALL SELECT id::text FROM base_model_imports WHERE tenant_id = $1",
            connection, transaction))
        {
            paths.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            await using var reader = await paths.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var value = reader.GetString(0);
                var folder = Guid.TryParse(value, out var importId) ? folders.Import(importId) : value;
                if (folder is not null && folders.InCatalog(folder))
                    catalogFolders.Add(folder);
            }
        }

        // Read before the rows go: who the members are, and the customer at Stripe.
        var members = new List<Guid>();
        await using (var read = new NpgsqlCommand("SELECT user_id FROM tenant_memberships WHERE tenant_id = $1", connection, transaction))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                members.Add(reader.GetGuid(0));
        }
        string? stripeCustomer;
        await using (var read = new NpgsqlCommand("SELECT stripe_customer_id FROM subscriptions WHERE tenant_id = $1", connection, transaction))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            stripeCustomer = await read.ExecuteScalarAsync(cancellationToken) as string;
        }

        var invoices = await ExecuteAsync(connection, transaction,
            "UPDATE invoices SET buyer_name = coalesce(buyer_name, $2) WHERE tenant_id = $1", tenantId, name, cancellationToken);
        var rows = new Dictionary<string, int>();
        foreach (var table in Tables.Concat(await OtherTenantTablesAsync(connection, transaction, cancellationToken)))
            rows[table] = await ExecuteAsync(connection, transaction, $"DELETE FROM {table} WHERE tenant_id = $1", tenantId, null, cancellationToken);
        var accounts = await DeleteOrphanedAccountsAsync(connection, transaction, members, cancellationToken);
        rows["users"] = accounts.Count;
        rows["audit_log_redacted"] = await RedactAuditLogAsync(connection, transaction, tenantId, accounts, cancellationToken);
        var tombstone = invoices > 0;
        rows["tenants"] = tombstone
            ? await ExecuteAsync(connection, transaction,
                "UPDATE tenants SET status = 'Erased', suspension_reason = NULL, slug = 'erased-' || replace(id::text, '-', '') WHERE id = $1",
                tenantId, null, cancellationToken)
            : await ExecuteAsync(connection, transaction, "DELETE FROM tenants WHERE id = $1", tenantId, null, cancellationToken);

        var erasureId = Guid.CreateVersion7();
        await using (var record = new NpgsqlCommand("""
            INSERT INTO tenant_erasures (id, tenant_id, tenant_name, requested_by, requested_as, erased_at, summary)
            VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
            """, connection, transaction))
        {
            record.Parameters.Add(new NpgsqlParameter { Value = erasureId });
            record.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            record.Parameters.Add(new NpgsqlParameter { Value = name });
            record.Parameters.Add(new NpgsqlParameter { Value = (object?)current.UserId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
            record.Parameters.Add(new NpgsqlParameter { Value = access.Value.ToString() });
            record.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow() });
            record.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(new { rows, invoicesKept = invoices }) });
            await record.ExecuteNonQueryAsync(cancellationToken);
        }
        await audit.WriteAsync(connection, transaction, AuditActions.TenantErase, tenantId, erasureId.ToString(),
            new { name }, new { erasedAs = access.Value.ToString(), rows, invoicesKept = invoices }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        keys.Forget(tenantId);

        // The keys are gone: what follows only frees the space. A failure here leaves unreadable files
        // behind, logged for an operator, never a readable copy.
        var files = 0;
        try
        {
            files = await store.DeleteTenantAsync(tenantId, cancellationToken);
            TenantFolders.DeleteIfExists(folders.TenantJobs(tenantId));
            foreach (var folder in catalogFolders)
                TenantFolders.DeleteIfExists(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogError(e, "Erasure {ErasureId} of tenant {TenantId}: deleting its (already undecryptable) files failed", erasureId, tenantId);
        }
        var done = new List<string>();
        foreach (var cleanup in cleanups ?? [])
        {
            try
            {
                done.Add(await cleanup.CleanUpAsync(new ErasedTenant(tenantId, name, stripeCustomer), cancellationToken));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Erasure {ErasureId} of tenant {TenantId}: cleanup {Cleanup} failed", erasureId, tenantId, cleanup.GetType().Name);
                done.Add($"{cleanup.GetType().Name} failed: {e.Message}");
            }
        }
        if (done.Count > 0)
        {
            // The record says what happened outside the database too (a failed Stripe call is an operator's to finish).
            await using var note = dataSource.CreateCommand(
                "UPDATE tenant_erasures SET summary = summary || jsonb_build_object('cleanups', $2::jsonb) WHERE id = $1");
            note.Parameters.Add(new NpgsqlParameter { Value = erasureId });
            note.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(done) });
            await note.ExecuteNonQueryAsync(CancellationToken.None);
        }
        logger.LogInformation("Erased tenant {TenantId} as {Role} (erasure {ErasureId}); {Invoices} invoice(s) kept, {Accounts} account(s) deleted",
            tenantId, access.Value, erasureId, invoices, accounts.Count);
        return Result<ErasureSummary>.Success(new ErasureSummary(erasureId, rows, files, invoices, tombstone, accounts, done));
    }

    /// <summary>
    /// The audit log outlives the tenant, without personal data: the emails of the accounts erasure
    /// deleted, and the member emails in the tenant's own entries, go. Who did what stays, by account id.
    /// </summary>
    private static async Task<int> RedactAuditLogAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId,
        List<Guid> deletedAccounts, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            UPDATE audit_log SET actor_email = CASE WHEN actor_user_id = ANY($2) THEN NULL ELSE actor_email END,
                before = CASE WHEN tenant_id = $1 THEN before - 'email' ELSE before END,
                after = CASE WHEN tenant_id = $1 THEN after - 'email' ELSE after END
            WHERE (actor_user_id = ANY($2) AND actor_email IS NOT NULL)
               OR (tenant_id = $1 AND (before ? 'email' OR after ? 'email'))
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = deletedAccounts.ToArray() });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Deletes the accounts among <paramref name="members"/> left in no organisation (their memberships are
    /// already gone), unless they hold a platform role (staff) or rows elsewhere still name them as creator.
    /// </summary>
    private static async Task<List<Guid>> DeleteOrphanedAccountsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        List<Guid> members, CancellationToken cancellationToken)
    {
        var deleted = new List<Guid>();
        if (members.Count == 0)
            return deleted;
        await using var command = new NpgsqlCommand("""
            DELETE FROM users u WHERE u.id = ANY($1)
              AND NOT EXISTS (SELECT 1 FROM tenant_memberships m WHERE m.user_id = u.id)
              AND NOT EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id)
              AND NOT EXISTS (SELECT 1 FROM datasets d WHERE d.created_by_user_id = u.id)
              AND NOT EXISTS (SELECT 1 FROM api_keys k WHERE k.created_by_user_id = u.id)
              AND NOT EXISTS (SELECT 1 FROM invitations i WHERE i.created_by_user_id = u.id)
            RETURNING u.id
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = members.ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            deleted.Add(reader.GetGuid(0));
        return deleted;
    }

    /// <summary>Tables with a tenant_id column that <see cref="Tables"/> does not name (added since), retained ones excepted.</summary>
    private static async Task<List<string>> OtherTenantTablesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT quote_ident(c.table_name) FROM information_schema.columns c
            JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
            WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id' AND NOT (c.table_name = ANY($1))
            ORDER BY c.table_name
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = Tables.Concat(Retained).ToArray() });
        var tables = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            tables.Add(reader.GetString(0));
        return tables;
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, Guid tenantId,
        string? text, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        if (text is not null)
            command.Parameters.Add(new NpgsqlParameter { Value = text });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
