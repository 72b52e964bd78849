using Npgsql;
using NpgsqlTypes;

namespace Platform.Jobs.Catalog.Imports;

/// <summary>An import as the service claimed it: what to do, and the lease token that fences every write.</summary>
internal sealed record ClaimedImport(Guid Id, Guid? TenantId, string Name, string Description, string SourceKind,
    string? RepoId, string? Revision, string? CommitSha, Guid? CreatedBy, Guid LeaseToken, int Attempts);

/// <summary>
/// The SQL of base_model_imports. Claims take the oldest importable row with FOR UPDATE SKIP LOCKED
/// (queued, or cut short with its lease run out); every later write names the lease token, so an
/// instance that lost its lease (paused, partitioned) can no longer change the row.
/// </summary>
internal sealed class BaseModelImportStore(NpgsqlDataSource dataSource)
{
    private const string ViewColumns = """
        id, tenant_id, name, source_kind, repo_id, revision, commit_sha, state, bytes_done, bytes_total, current_file, error,
        cancel_requested, base_model_id, created_at, updated_at, finished_at
        """;

    public async Task InsertAsync(Guid id, Guid? tenantId, string name, string description, string sourceKind, string? repoId, string? revision,
        long? bytesTotal, Guid? createdBy, Platform.Data.Audit.AuditTrail audit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            INSERT INTO base_model_imports (id, tenant_id, name, description, source_kind, repo_id, revision, state, bytes_total, created_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $9)
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(Uuid(tenantId));
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        command.Parameters.Add(new NpgsqlParameter { Value = description });
        command.Parameters.Add(new NpgsqlParameter { Value = sourceKind });
        command.Parameters.Add(Text(repoId));
        command.Parameters.Add(Text(revision));
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)bytesTotal ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(Uuid(createdBy));
        await command.ExecuteNonQueryAsync(cancellationToken);
        await audit.WriteAsync(connection, transaction, Platform.Data.Audit.AuditActions.BaseModelImport, tenantId, id.ToString(), null,
            new { name, source = sourceKind, repoId, revision, bytes = bytesTotal, platformWide = tenantId is null }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Whether an import in the same scope (the same tenant, or platform-wide against any) is already bringing in this name.</summary>
    public async Task<bool> ActiveNameTakenAsync(Guid? tenantId, string name, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT EXISTS (SELECT 1 FROM base_model_imports
                           WHERE name = $2 AND state IN ('queued', 'downloading', 'validating')
                             AND ($1::uuid IS NULL OR tenant_id IS NULL OR tenant_id = $1))
            """);
        command.Parameters.Add(Uuid(tenantId));
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    /// <summary>Imports of one scope, newest first: a tenant's own, or (null) the platform-wide ones.</summary>
    public async Task<IReadOnlyList<BaseModelImport>> ListAsync(Guid? tenantId, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT {ViewColumns} FROM base_model_imports
            WHERE tenant_id IS NOT DISTINCT FROM $1
            ORDER BY created_at DESC, id DESC LIMIT $2
            """);
        command.Parameters.Add(Uuid(tenantId));
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        var imports = new List<BaseModelImport>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            imports.Add(ReadView(reader));
        return imports;
    }

    public async Task<BaseModelImport?> GetAsync(Guid? tenantId, Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT {ViewColumns} FROM base_model_imports WHERE id = $2 AND tenant_id IS NOT DISTINCT FROM $1
            """);
        command.Parameters.Add(Uuid(tenantId));
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadView(reader) : null;
    }

    /// <summary>
    /// The oldest import nobody holds: queued, or left downloading/validating by an instance whose lease
    /// ran out (it crashed or was stopped). A queued one moves on to its first working state.
    /// </summary>
    public async Task<ClaimedImport?> ClaimAsync(TimeSpan lease, CancellationToken cancellationToken)
    {
        var token = Guid.NewGuid();
        await using var command = dataSource.CreateCommand("""
            UPDATE base_model_imports i
            SET lease_token = $1, lease_expires_at = now() + $2, attempts = i.attempts + 1, updated_at = now(),
                state = CASE WHEN i.state = 'queued' THEN (CASE i.source_kind WHEN 'hub' THEN 'downloading' ELSE 'validating' END) ELSE i.state END
            WHERE i.id = (SELECT id FROM base_model_imports
                          WHERE state IN ('queued', 'downloading', 'validating')
                            AND (lease_expires_at IS NULL OR lease_expires_at < now())
                          ORDER BY created_at
                          FOR UPDATE SKIP LOCKED
                          LIMIT 1)
            RETURNING i.id, i.tenant_id, i.name, i.description, i.source_kind, i.repo_id, i.revision, i.commit_sha, i.created_by, i.attempts
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = token });
        command.Parameters.Add(new NpgsqlParameter { Value = lease, NpgsqlDbType = NpgsqlDbType.Interval });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            return null;
        return new ClaimedImport(reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetGuid(1), reader.GetString(2), reader.GetString(3),
            reader.GetString(4), NullableText(reader, 5), NullableText(reader, 6), NullableText(reader, 7),
            reader.IsDBNull(8) ? null : reader.GetGuid(8), token, reader.GetInt32(9));
    }

    /// <summary>
    /// Renews the lease and records progress in one write. Null when the lease is lost (another
    /// instance holds the import now, or it was finished): the caller must stop touching it.
    /// Otherwise whether a cancel was asked for.
    /// </summary>
    public async Task<bool?> HeartbeatAsync(ClaimedImport import, TimeSpan lease, long bytesDone, string? currentFile, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE base_model_imports
            SET lease_expires_at = now() + $3, bytes_done = $4, current_file = $5, updated_at = now()
            WHERE id = $1 AND lease_token = $2
            RETURNING cancel_requested
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = import.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = import.LeaseToken });
        command.Parameters.Add(new NpgsqlParameter { Value = lease, NpgsqlDbType = NpgsqlDbType.Interval });
        command.Parameters.Add(new NpgsqlParameter { Value = bytesDone });
        command.Parameters.Add(Text(currentFile));
        var result = await command.ExecuteScalarAsync(cancellationToken);
        return result is bool cancel ? cancel : null;
    }

    /// <summary>Moves a held import to <paramref name="state"/>, pinning the commit and the download size once known.</summary>
    public async Task<bool> SetStateAsync(ClaimedImport import, string state, string? commitSha, long? bytesTotal, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE base_model_imports
            SET state = $3, commit_sha = coalesce($4, commit_sha), bytes_total = coalesce($5, bytes_total), updated_at = now()
            WHERE id = $1 AND lease_token = $2
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = import.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = import.LeaseToken });
        command.Parameters.Add(new NpgsqlParameter { Value = state });
        command.Parameters.Add(Text(commitSha));
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)bytesTotal ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Ends a held import: done (with the model it added), failed (with the reason) or cancelled.</summary>
    public async Task<bool> FinishAsync(ClaimedImport import, string state, string? error, Guid? baseModelId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE base_model_imports
            SET state = $3, error = $4, base_model_id = $5, finished_at = now(), updated_at = now(), lease_token = NULL, lease_expires_at = NULL,
                current_file = NULL, bytes_done = CASE WHEN $3 = 'done' THEN coalesce(bytes_total, bytes_done) ELSE bytes_done END
            WHERE id = $1 AND lease_token = $2
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = import.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = import.LeaseToken });
        command.Parameters.Add(new NpgsqlParameter { Value = state });
        command.Parameters.Add(Text(error is { Length: > 2000 } ? error[..2000] : error));
        command.Parameters.Add(Uuid(baseModelId));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Gives a held import back at once (a graceful stop), so the next instance resumes it without waiting out the lease.</summary>
    public async Task ReleaseAsync(ClaimedImport import, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE base_model_imports SET lease_token = NULL, lease_expires_at = NULL, updated_at = now() WHERE id = $1 AND lease_token = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = import.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = import.LeaseToken });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Cancels an import of the scope: at once when nobody holds it (it is then finished here and
    /// true is returned, so the caller can clean up), else by asking its holder, which stops at its
    /// next heartbeat. Null when there is no active import of that id in the scope.
    /// </summary>
    public async Task<bool?> CancelAsync(Guid? tenantId, Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE base_model_imports
            SET cancel_requested = true, updated_at = now(),
                state = CASE WHEN lease_expires_at IS NULL OR lease_expires_at < now() THEN 'cancelled' ELSE state END,
                finished_at = CASE WHEN lease_expires_at IS NULL OR lease_expires_at < now() THEN now() END,
                lease_token = CASE WHEN lease_expires_at IS NULL OR lease_expires_at < now() THEN NULL ELSE lease_token END
            WHERE id = $2 AND tenant_id IS NOT DISTINCT FROM $1 AND state IN ('queued', 'downloading', 'validating')
            RETURNING state = 'cancelled'
            """);
        command.Parameters.Add(Uuid(tenantId));
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return await command.ExecuteScalarAsync(cancellationToken) is bool cancelledNow ? cancelledNow : null;
    }

    /// <summary>Queues a failed or cancelled Hub import again; its finished files and partial download are reused.</summary>
    public async Task<bool> RetryAsync(Guid? tenantId, Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE base_model_imports
            SET state = 'queued', error = NULL, cancel_requested = false, finished_at = NULL, lease_token = NULL, lease_expires_at = NULL,
                updated_at = now()
            WHERE id = $2 AND tenant_id IS NOT DISTINCT FROM $1 AND source_kind = 'hub' AND state IN ('failed', 'cancelled')
            """);
        command.Parameters.Add(Uuid(tenantId));
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private static BaseModelImport ReadView(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetGuid(1), reader.GetString(2), reader.GetString(3),
        NullableText(reader, 4), NullableText(reader, 5), NullableText(reader, 6), reader.GetString(7), reader.GetInt64(8),
        reader.IsDBNull(9) ? null : reader.GetInt64(9), NullableText(reader, 10), NullableText(reader, 11), reader.GetBoolean(12),
        reader.IsDBNull(13) ? null : reader.GetGuid(13), reader.GetFieldValue<DateTimeOffset>(14), reader.GetFieldValue<DateTimeOffset>(15),
        reader.IsDBNull(16) ? null : reader.GetFieldValue<DateTimeOffset>(16));

    private static string? NullableText(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static NpgsqlParameter Uuid(Guid? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid };

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };
}
