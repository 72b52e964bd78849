using Microsoft.AspNetCore.Components.Forms;

namespace Platform.Web.Components.Shared;

/// <summary>Marks a field Bootstrap's way (is-invalid) when it has a message, so the input turns red beside its error.</summary>
public sealed class BootstrapFieldCss : FieldCssClassProvider
{
    public static readonly BootstrapFieldCss Instance = new();

    public override string GetFieldCssClass(EditContext editContext, in FieldIdentifier fieldIdentifier) =>
        editContext.GetValidationMessages(fieldIdentifier).Any() ? "is-invalid" : "";
}
