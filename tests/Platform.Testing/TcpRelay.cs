using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Platform.Testing;

/// <summary>
/// A TCP relay in front of a real server (PostgreSQL) that a test can cut and restore. Cut resets every
/// connection and refuses new ones, as a server that went down does. Restore accepts again on the same
/// port. This lets a test take "the database" away from one host without stopping a server that other
/// tests share. Freeze is the other way a server goes away: a partition or a hung host, where
/// connections stay open and nothing comes back (no reset, no refusal), so every call waits for its
/// own timeout or cancellation. Lag is a slow path: every answer reaches the client late.
/// </summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly IPEndPoint _target;
    private readonly ConcurrentDictionary<Socket, byte> _sockets = new();
    private readonly CancellationTokenSource _disposed = new();
    private TcpListener? _listener;
    private Task _accepting = Task.CompletedTask;
    private volatile TaskCompletionSource _flowing = Flowing();
    private long _lagTicks;

    private TcpRelay(IPEndPoint target)
    {
        _target = target;
        Restore();
    }

    public int Port { get; private set; }

    /// <summary>A relay to the host and port of <paramref name="connectionString"/>, and the same connection string through it.</summary>
    public static (TcpRelay Relay, string ConnectionString) For(string connectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        var address = Dns.GetHostAddresses(builder.Host!).First(a => a.AddressFamily == AddressFamily.InterNetwork);
        var relay = new TcpRelay(new IPEndPoint(address, builder.Port));
        builder.Host = "127.0.0.1";
        builder.Port = relay.Port;
        return (relay, builder.ConnectionString);
    }

    /// <summary>Resets every open connection and stops accepting: the server is gone for the relay's clients.</summary>
    public void Cut()
    {
        _listener?.Stop();
        _listener = null;
        foreach (var socket in _sockets.Keys)
            Close(socket);
    }

    /// <summary>
    /// Stops relaying bytes both ways while keeping every connection open, and accepts new connections
    /// without ever answering them: the server hangs for the relay's clients. <see cref="Restore"/> ends it.
    /// </summary>
    public void Freeze()
    {
        if (_flowing.Task.IsCompleted)
            _flowing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>
    /// Holds every chunk the server sends for <paramref name="lag"/> before passing it on (zero ends it):
    /// a query commits at the server and its answer reaches the client that much later, as on a loaded
    /// machine or a connection opened after an outage. What the client sends is not held.
    /// </summary>
    public void Lag(TimeSpan lag) => Interlocked.Exchange(ref _lagTicks, lag.Ticks);

    /// <summary>
    /// Accepts again, on the port the relay had. After a freeze the connections held during it are reset
    /// (a partition that heals leaves the peers' sessions timed out) and new ones are relayed again.
    /// </summary>
    public void Restore()
    {
        if (!_flowing.Task.IsCompleted)
        {
            foreach (var socket in _sockets.Keys)
                Close(socket);
            _flowing.TrySetResult();
        }
        if (_listener is not null)
            return;
        var listener = new TcpListener(IPAddress.Loopback, Port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _listener = listener;
        _accepting = AcceptAsync(listener);
    }

    private async Task AcceptAsync(TcpListener listener)
    {
        while (!_disposed.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(_disposed.Token);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
            {
                return;
            }
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _sockets[client] = 0;
        _sockets[server] = 0;
        try
        {
            await _flowing.Task.WaitAsync(_disposed.Token);
            await server.ConnectAsync(_target, _disposed.Token);
            await Task.WhenAny(PumpAsync(client, server, toClient: false), PumpAsync(server, client, toClient: true));
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
        finally
        {
            Close(client);
            Close(server);
        }
    }

    private async Task PumpAsync(Socket from, Socket to, bool toClient)
    {
        // Chunks go out in order, each once the lag it met on arrival has passed: a lag delays every answer
        // by the same time instead of adding up behind the answers before it.
        var chunks = Channel.CreateUnbounded<(byte[] Data, long DueMs)>();
        var sending = SendAsync(chunks.Reader, to);
        try
        {
            while (true)
            {
                var buffer = new byte[16 * 1024];
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _disposed.Token);
                if (read == 0)
                    return;
                var lag = toClient ? TimeSpan.FromTicks(Interlocked.Read(ref _lagTicks)) : TimeSpan.Zero;
                chunks.Writer.TryWrite((buffer[..read], Environment.TickCount64 + (long)lag.TotalMilliseconds));
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
        finally
        {
            chunks.Writer.TryComplete();
            await sending;
        }
    }

    private async Task SendAsync(ChannelReader<(byte[] Data, long DueMs)> chunks, Socket to)
    {
        try
        {
            await foreach (var (data, dueMs) in chunks.ReadAllAsync(_disposed.Token))
            {
                if (dueMs - Environment.TickCount64 is > 0 and var wait)
                    await Task.Delay(TimeSpan.FromMilliseconds(wait), _disposed.Token);
                await _flowing.Task.WaitAsync(_disposed.Token);
                await to.SendAsync(data, SocketFlags.None, _disposed.Token);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    private static TaskCompletionSource Flowing()
    {
        var flowing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        flowing.SetResult();
        return flowing;
    }

    private void Close(Socket socket)
    {
        if (!_sockets.TryRemove(socket, out _))
            return;
        try
        {
            // A reset, not a graceful close: the peer sees the connection fail at once.
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync();
        Cut();
        await _accepting;
        _disposed.Dispose();
    }
}
