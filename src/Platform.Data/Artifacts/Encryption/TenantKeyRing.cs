using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Platform.Data.Artifacts.Encryption;

/// <summary>
/// Tenants' data keys (table tenant_data_keys): created on a tenant's first write, unwrapped by the
/// <see cref="IMasterKey"/> once per process and kept in memory. The newest version encrypts new files;
/// every version decrypts the files that name it.
/// </summary>
public sealed class TenantKeyRing(NpgsqlDataSource dataSource, IMasterKey masterKey, TimeProvider clock)
{
    private readonly ConcurrentDictionary<(Guid Tenant, int Version), TenantDataKey> _keys = new();
    private readonly ConcurrentDictionary<Guid, int> _current = new();

    /// <summary>The version new files of the tenant are encrypted with, created when the tenant has none.</summary>
    public async Task<TenantDataKey> GetCurrentAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        if (_current.TryGetValue(tenantId, out var cached) && _keys.TryGetValue((tenantId, cached), out var known))
            return known;
        var latest = await LatestVersionAsync(tenantId, cancellationToken);
        if (latest == 0)
        {
            await InsertAsync(tenantId, 1, cancellationToken);
            latest = await LatestVersionAsync(tenantId, cancellationToken);
        }
        var key = await GetAsync(tenantId, latest, cancellationToken);
        _current[tenantId] = latest;
        return key;
    }

    /// <summary>A version named by a file's header; throws <see cref="InvalidDataException"/> when the tenant has no such key (erased, or another tenant's file).</summary>
    public async Task<TenantDataKey> GetAsync(Guid tenantId, int version, CancellationToken cancellationToken)
    {
        if (_keys.TryGetValue((tenantId, version), out var known))
            return known;
        await using var command = dataSource.CreateCommand(
            "SELECT wrapped_key, master_key_id FROM tenant_data_keys WHERE tenant_id = $1 AND version = $2");
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(version);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            throw new InvalidDataException($"The tenant has no data key version {version}: the artifact was erased or is not this tenant's.");
        var wrapped = new WrappedKey(reader.GetString(1), (byte[])reader[0]);
        var key = new TenantDataKey(version, await masterKey.UnwrapAsync(wrapped, Context(tenantId, version), cancellationToken));
        return _keys.GetOrAdd((tenantId, version), key);
    }

    /// <summary>Starts a new data key version for the tenant: files written from now on use it, older files keep theirs.</summary>
    public async Task<int> RotateTenantKeyAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        var next = await LatestVersionAsync(tenantId, cancellationToken) + 1;
        await InsertAsync(tenantId, next, cancellationToken);
        _current.TryRemove(tenantId, out _);
        return (await GetCurrentAsync(tenantId, cancellationToken)).Version;
    }

    /// <summary>
    /// Re-wraps every data key still wrapped by another master key with the current one. Files are not
    /// touched: their data keys stay the same. Safe to run from several processes; returns the keys it re-wrapped.
    /// </summary>
    public async Task<int> RewrapAllAsync(CancellationToken cancellationToken)
    {
        var stale = new List<(Guid Tenant, int Version, WrappedKey Wrapped)>();
        await using (var select = dataSource.CreateCommand(
            "SELECT tenant_id, version, wrapped_key, master_key_id FROM tenant_data_keys WHERE master_key_id <> $1"))
        {
            select.Parameters.AddWithValue(masterKey.CurrentKeyId);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                stale.Add((reader.GetGuid(0), reader.GetInt32(1), new WrappedKey(reader.GetString(3), (byte[])reader[2])));
        }
        var rewrapped = 0;
        foreach (var (tenant, version, wrapped) in stale)
        {
            var context = Context(tenant, version);
            var key = await masterKey.UnwrapAsync(wrapped, context, cancellationToken);
            var again = await masterKey.WrapAsync(key, context, cancellationToken);
            CryptographicOperations.ZeroMemory(key);
            await using var update = dataSource.CreateCommand(
                "UPDATE tenant_data_keys SET wrapped_key = $1, master_key_id = $2, rewrapped_at = $3 " +
                "WHERE tenant_id = $4 AND version = $5 AND master_key_id = $6");
            update.Parameters.AddWithValue(again.Bytes);
            update.Parameters.AddWithValue(again.MasterKeyId);
            update.Parameters.AddWithValue(clock.GetUtcNow());
            update.Parameters.AddWithValue(tenant);
            update.Parameters.AddWithValue(version);
            update.Parameters.AddWithValue(wrapped.MasterKeyId);
            rewrapped += await update.ExecuteNonQueryAsync(cancellationToken);
        }
        return rewrapped;
    }

    /// <summary>Drops the tenant's keys from this process's memory (after erasure deleted its rows).</summary>
    public void Forget(Guid tenantId)
    {
        _current.TryRemove(tenantId, out _);
        foreach (var entry in _keys.Keys.Where(k => k.Tenant == tenantId).ToList())
        {
            if (_keys.TryRemove(entry, out var key))
                CryptographicOperations.ZeroMemory(key.Key);
        }
    }

    private async Task<int> LatestVersionAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT coalesce(max(version), 0) FROM tenant_data_keys WHERE tenant_id = $1");
        command.Parameters.AddWithValue(tenantId);
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private async Task InsertAsync(Guid tenantId, int version, CancellationToken cancellationToken)
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var wrapped = await masterKey.WrapAsync(key, Context(tenantId, version), cancellationToken);
        CryptographicOperations.ZeroMemory(key);
        // Two writers creating the same version at once: one row wins, both then read it.
        await using var insert = dataSource.CreateCommand(
            "INSERT INTO tenant_data_keys (tenant_id, version, wrapped_key, master_key_id, created_at) VALUES ($1, $2, $3, $4, $5) " +
            "ON CONFLICT (tenant_id, version) DO NOTHING");
        insert.Parameters.AddWithValue(tenantId);
        insert.Parameters.AddWithValue(version);
        insert.Parameters.AddWithValue(wrapped.Bytes);
        insert.Parameters.AddWithValue(wrapped.MasterKeyId);
        insert.Parameters.AddWithValue(clock.GetUtcNow());
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    private static byte[] Context(Guid tenantId, int version) => Encoding.ASCII.GetBytes($"tenant-data-key:{tenantId:N}:{version}");
}
