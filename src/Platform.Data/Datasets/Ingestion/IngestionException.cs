namespace Platform.Data.Datasets.Ingestion;

/// <summary>
/// An upload the user must fix; the message is shown as is. Thrown deep inside the parsers and turned
/// into a BadRequest result at the command boundary, so parsing code stays linear.
/// </summary>
internal sealed class IngestionException(string message) : Exception(message);
