using Npgsql;

namespace Platform.Jobs.Workers;

/// <summary>
/// Deletes workers stopped, or silent (no heartbeat: the host died without marking itself stopped),
/// for longer than the given time. A running worker beats every few seconds, so it is never older than
/// that. Only what is past it goes, so a retry or an overlapping run deletes nothing twice and needs no lock.
/// </summary>
public sealed class DeleteStoppedWorkersCommand(NpgsqlDataSource dataSource)
{
    /// <returns>How many worker rows it deleted.</returns>
    public async Task<int> ExecuteAsync(TimeSpan stoppedFor, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "DELETE FROM workers WHERE coalesce(stopped_at, heartbeat_at) < now() - $1");
        command.Parameters.Add(new NpgsqlParameter { Value = stoppedFor });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
