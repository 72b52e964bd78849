namespace Platform.Jobs.Portal;

/// <summary>How a job is named in a line of text: a short id that tells two jobs apart.</summary>
public static class JobIds
{
    /// <summary>
    /// The last 8 hex digits of the id. Job ids are UUIDv7: their first 12 digits are the creation time in
    /// milliseconds and change only every ~65 s in the first 8, so two jobs launched a minute apart showed
    /// the same "job 01a233de". The tail is random (rand_b): 32 bits, unique in practice within a tenant,
    /// and it is the part a user types into the jobs search.
    /// </summary>
    public static string Short(Guid id) => id.ToString("N")[^8..];
}
