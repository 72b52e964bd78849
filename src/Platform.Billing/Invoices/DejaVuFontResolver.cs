using PdfSharp.Fonts;

namespace Platform.Billing.Invoices;

/// <summary>
/// PDFsharp's Core build finds no system fonts on Linux, so the invoice embeds DejaVu Sans from a
/// configured directory; every family the document asks for resolves to it (regular or bold).
/// </summary>
internal sealed class DejaVuFontResolver(string directory) : IFontResolver
{
    public const string Family = "DejaVu Sans";

    public FontResolverInfo? ResolveTypeface(string familyName, bool bold, bool italic) =>
        new(bold ? "DejaVuSans-Bold" : "DejaVuSans");

    public byte[]? GetFont(string faceName)
    {
        var path = Path.Combine(directory, faceName + ".ttf");
        return File.Exists(path)
            ? File.ReadAllBytes(path)
            : throw new FileNotFoundException($"Invoice font {faceName}.ttf not found in Billing:FontDirectory ({directory}).", path);
    }
}
