using System.Globalization;

namespace Platform.Web.Api;

/// <summary>
/// One page of a list: <c>data</c> in the list's stable order, <c>hasMore</c> when a next page exists
/// (ask for it with <c>?after={lastId}</c>), and the ids of the first and last items.
/// </summary>
public sealed record Page<T>(IReadOnlyList<T> Data, bool HasMore, string? FirstId, string? LastId);

/// <summary>
/// <c>?limit=</c> (1-100, default 20) and <c>?after=</c> (the id of the last item of the previous
/// page). Queries fetch <see cref="Fetch"/> rows, one more than the page, to learn whether more exist.
/// </summary>
internal sealed record PageQuery(int Limit, string? After)
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    public int Fetch => Limit + 1;

    public static bool TryParse(HttpRequest request, out PageQuery page, out IResult? problem)
    {
        page = new PageQuery(DefaultLimit, null);
        problem = null;
        var limitText = request.Query["limit"].ToString();
        var limit = DefaultLimit;
        if (limitText.Length > 0 && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            problem = ApiProblem.Invalid("limit", $"limit is a whole number from 1 to {MaxLimit}.");
            return false;
        }
        var after = request.Query["after"].ToString();
        page = new PageQuery(limit, after.Length == 0 ? null : after);
        return true;
    }

    /// <summary>The cursor as a Guid: a malformed one is the client's 400, naming the parameter.</summary>
    public bool TryAfterGuid(out Guid? after, out IResult? problem)
    {
        after = null;
        problem = null;
        if (After is null)
            return true;
        if (Guid.TryParse(After, out var id))
        {
            after = id;
            return true;
        }
        problem = InvalidCursor();
        return false;
    }

    public static IResult InvalidCursor() => ApiProblem.Invalid("after", "after is the id of an item of this list (the lastId of the previous page).");

    /// <summary>Cuts the fetched rows (up to Limit + 1) to the page.</summary>
    public Page<T> ToPage<T>(IReadOnlyList<T> rows, Func<T, string> id)
    {
        var items = rows.Count > Limit ? rows.Take(Limit).ToList() : rows;
        return new Page<T>(items, rows.Count > Limit, items.Count > 0 ? id(items[0]) : null, items.Count > 0 ? id(items[^1]) : null);
    }

    /// <summary>A page of a list held in memory (short lists: keys, base models), ordered by <paramref name="id"/>'s order.</summary>
    public bool TryPageOf<T>(IReadOnlyList<T> all, Func<T, string> id, out Page<T> result, out IResult? problem)
    {
        problem = null;
        var start = 0;
        if (After is not null)
        {
            var index = all.ToList().FindIndex(item => id(item) == After);
            if (index < 0)
            {
                result = new Page<T>([], false, null, null);
                problem = InvalidCursor();
                return false;
            }
            start = index + 1;
        }
        result = ToPage(all.Skip(start).Take(Fetch).ToList(), id);
        return true;
    }
}
