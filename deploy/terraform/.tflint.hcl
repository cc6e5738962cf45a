# tflint for every root (.github/scripts/terraform-validate passes this file). The terraform
# ruleset ships inside tflint, so nothing is downloaded for it.
plugin "terraform" {
  enabled = true
  preset  = "recommended"
}

rule "terraform_documented_variables" {
  enabled = true
}

rule "terraform_documented_outputs" {
  enabled = true
}

rule "terraform_typed_variables" {
  enabled = true
}

# Off on purpose (it is not in the recommended preset either): the roots declare the providers
# their registry modules require (tls, time, cloudinit, null) only to pin them exactly.
rule "terraform_unused_required_providers" {
  enabled = false
}
