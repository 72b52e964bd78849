using System.Net.Sockets;
using Npgsql;

namespace Platform.Data;

/// <summary>
/// Tells "the database is not there" (refused, reset, restarting, out of connections) from "the
/// database refused what we asked". The first is an outage: hosts wait for it (migrations at start)
/// or answer 503 with Retry-After (the portal and API); the second is a bug or a bad request.
/// </summary>
public static class DatabaseAvailability
{
    public static bool IsUnavailable(Exception exception)
    {
        // EF Core and our own code wrap the driver's exception; the cause is somewhere in the chain.
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                // admin_shutdown, crash_shutdown, cannot_connect_now (starting up), too_many_connections
                case PostgresException postgres:
                    return postgres.SqlState is "57P01" or "57P02" or "57P03" or "53300";
                case NpgsqlException npgsql when npgsql.IsTransient || npgsql.InnerException is SocketException or IOException or TimeoutException:
                    return true;
                case SocketException:
                    return true;
            }
        }
        return false;
    }
}
