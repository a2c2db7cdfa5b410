"""Inbound webhooks: Google Ads lead forms and mapped JSON, each translated into the API's
lead shape and captured through the one capture service."""
