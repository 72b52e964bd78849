using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.Web.Api;

/// <summary>
/// Every timestamp the API writes is RFC 3339 in UTC with a <c>Z</c> and always six fraction digits
/// (PostgreSQL's precision), e.g. <c>2026-12-01T09:30:00.120000Z</c>: one form a client can parse and sort as text.
/// </summary>
internal sealed class UtcTimestampConverter : JsonConverter<DateTimeOffset>
{
    public const string Format = "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'ffffff'Z'";

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        DateTimeOffset.Parse(reader.GetString() ?? throw new JsonException("A timestamp is a string."), CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal);

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture));
}
