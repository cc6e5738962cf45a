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
