using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Platform.Jobs.Queue;
using Platform.Training.Distributed;

namespace Platform.Jobs.Workers;

/// <summary>
/// Where a gang's ranks meet (decision 0044): rank 0 takes a free port on its worker and publishes
/// host:port through the job's queue row under its lease; the other ranks read it there. A single-device
/// run has no rendezvous.
/// </summary>
internal static class GangRendezvous
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// This run's place in its gang, or null for a single-device run. Rank 0 returns once it has
    /// published; the other ranks wait for that (until the run is cancelled, or its gang released:
    /// <see cref="LeaseLostException"/>).
    /// </summary>
    public static async Task<DistributedOptions?> JoinAsync(JobQueue queue, ClaimedJob job, string host, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        if (job.WorldSize <= 1)
            return null;
        if (job.Rank == 0)
        {
            // The port is free now; the TCPStore binds it moments later. Another process taking it in
            // between fails the run's rendezvous, which retries the gang like any interruption.
            var port = FreePort();
            if (!await queue.PublishRendezvousAsync(job, $"{host}:{port}", cancellationToken))
                throw new LeaseLostException(job.JobId);
            return new DistributedOptions(0, job.WorldSize, host, port, timeout);
        }
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (await queue.RendezvousAsync(job, cancellationToken) is { } address)
            {
                var (masterHost, masterPort) = Parse(address);
                return new DistributedOptions(job.Rank, job.WorldSize, masterHost, masterPort, timeout);
            }
            await Task.Delay(Poll, cancellationToken);
        }
    }

    /// <summary>host:port, where host may itself hold colons (an IPv6 address).</summary>
    internal static (string Host, int Port) Parse(string address)
    {
        var colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            throw new FormatException($"'{address}' is not a host:port rendezvous address.");
        return (address[..colon].Trim('[', ']'), port);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
